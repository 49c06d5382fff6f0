"""Golden observations for real families, crawled with huggingface_hub from the bundled snapshot.

Each case runs one HubSource generator against the replay hub serving the bundled real-data
snapshot and compares the observations (in the order yielded, serialised deterministically,
the hub URL replaced by ``{hub}``, ``observed_at`` fixed) with ``golden/<case>.json``.

Regenerate after an intended change with ``LINEAGE_UPDATE_GOLDEN=1 pytest tests/crawler/test_source_golden.py``
and review the diff: the golden files are the reviewed statement of what the crawler reports.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.observations import Observation
from hubreplay.serve import ReplayServer
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from tests.support.hubfakes import FIXED_NOW

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LINEAGE_UPDATE_GOLDEN") == "1"

CASES: dict[str, Callable[[HubSource], Iterator[Observation]]] = {
    # a fine-tune declared in card and tags; MIT child of an Apache-2.0 base
    "zephyr_up": lambda s: s.iter_up("HuggingFaceH4/zephyr-7b-beta"),
    # card names the old id meta-llama/Meta-Llama-3.1-8B, the tag the current one; the old id redirects
    "llama31_instruct_up": lambda s: s.iter_up("meta-llama/Llama-3.1-8B-Instruct"),
    # a GGUF quantization declared as such, two generations up
    "gguf_declared_up": lambda s: s.iter_up("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"),
    # GGUF quantizations that declare nothing: card text (old parent id, resolved) and a card field
    "gguf_card_text_up": lambda s: s.iter_up("QuantFactory/Meta-Llama-3.1-8B-GGUF"),
    "gguf_model_link": lambda s: s.iter_model("TheBloke/Llama-2-7B-GGUF"),
    # GGUF header fields copied into the repo's config.json
    "gguf_metadata": lambda s: s.iter_model("itzmealvin/GGUF_Qwen3-2507-4B-IT-Q4KM"),
    # a mergekit merge of a merge (slerp of MetaMath-Cybertron and Starling)
    "merge_up": lambda s: s.iter_up("Q-bert/MetaMath-Cybertron-Starling"),
    # the children of a base, many per request
    "mistral_children": lambda s: s.iter_children("mistralai/Mistral-7B-v0.1", depth=1),
    # Spaces and inference providers serving a model
    "llama31_instruct_deployers": lambda s: s.iter_deployers("meta-llama/Llama-3.1-8B-Instruct"),
}


def plain(value: Any, hub: str) -> Any:
    """A JSON-ready, deterministic form of an observation field."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace(hub, "{hub}")
    if isinstance(value, (list, tuple)):
        return [plain(item, hub) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name), hub) for f in dataclasses.fields(value)}
        if "observed_at" in out:
            out["observed_at"] = "<observed_at>"
        return out
    return value


def serialise(observations: list[Observation], hub: str) -> list[dict[str, Any]]:
    return [{"type": type(o).__name__, **plain(o, hub)} for o in observations]


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, hub: ReplayServer) -> None:
    settings = CrawlerSettings(endpoint=hub.url)
    with HubSource(settings, clock=lambda: FIXED_NOW) as source:
        produced = serialise(list(CASES[case](source)), hub.url)
    path = GOLDEN / f"{case}.json"
    text = json.dumps(produced, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with LINEAGE_UPDATE_GOLDEN=1 and review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert produced == expected
