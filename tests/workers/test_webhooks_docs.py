"""docs/webhooks.md tells the truth: its example delivery is signed as Lineage signs, its two verification
examples accept Lineage's signatures and reject others, and its settings table names every setting."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph.watches.settings import WebhookSettings
from workers.webhooks import new_secret, signed_headers

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
Verifier = Callable[..., Any]


def python_examples() -> list[Verifier]:
    """The ``verified_event`` function of each Python block, in the order of the page."""
    found = []
    for block in re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL):
        namespace: dict[str, Any] = {}
        exec(compile(block, "docs/webhooks.md", "exec"), namespace)
        found.append(namespace["verified_event"])
    return found


def example_delivery() -> tuple[bytes, dict[str, str], str]:
    """The body, headers and secret of the page's example delivery."""
    block = re.search(r"```http\n(.*?)```", DOC, flags=re.DOTALL)
    assert block is not None
    head, _, body = block.group(1).partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    secret = re.search(r"`(whsec_[A-Za-z0-9+/=]+)`", DOC)
    assert secret is not None
    return body.strip().encode(), headers, secret.group(1)


def test_the_example_delivery_is_signed_as_lineage_signs() -> None:
    body, headers, secret = example_delivery()
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    ours = signed_headers(headers["webhook-id"], body, secret, now=at)
    assert {name: ours[name] for name in ours} == {name: headers[name] for name in ours}


def test_the_standard_library_example_accepts_lineages_signature_and_nothing_else() -> None:
    _, plain = python_examples()
    body, headers, secret = example_delivery()
    assert plain(body, headers, secret, tolerance_s=10**10) == {"example": True}
    with pytest.raises(ValueError, match="too far"):
        plain(body, headers, secret)  # the example is old: a replay
    with pytest.raises(ValueError, match="does not match"):
        plain(body + b" ", headers, secret, tolerance_s=10**10)
    with pytest.raises(ValueError, match="does not match"):
        plain(body, headers, new_secret(), tolerance_s=10**10)
    fresh = signed_headers("evt_2", b'{"a": 1}', secret, now=datetime.now(UTC))
    assert plain(b'{"a": 1}', {name.upper(): value for name, value in fresh.items()}, secret) == {"a": 1}


def test_the_standardwebhooks_example_accepts_a_fresh_signature_and_nothing_else() -> None:
    package, _ = python_examples()
    secret = new_secret()
    fresh = signed_headers("evt_3", b'{"a": 1}', secret, now=datetime.now(UTC))
    assert package(b'{"a": 1}', fresh, secret) == {"a": 1}
    assert package(b'{"a": 2}', fresh, secret) is None
    assert package(b'{"a": 1}', fresh, new_secret()) is None


def test_the_settings_table_names_every_setting() -> None:
    for name in WebhookSettings.model_fields:
        assert f"`LINEAGE_WEBHOOK_{name.upper()}`" in DOC
