"""Canonical JSON and the content hash that makes a dossier citable.

The hash is SHA-256 over the canonical serialisation of :meth:`Dossier.content_dict` (the JSON
form without ``content_hash`` and ``generated_at``): UTF-8, keys sorted, no insignificant
whitespace, non-ASCII characters kept as they are, NaN refused. The same graph, as-of instant
and knowledge-base version give the same hash; any fact shown that changes changes it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["HASH_PREFIX", "canonical_bytes", "content_hash", "dumps"]

HASH_PREFIX = "sha256:"


def canonical_bytes(data: Any) -> bytes:
    """The canonical serialisation of JSON-ready data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def content_hash(content: Any) -> str:
    """``sha256:<hex>`` over the canonical serialisation of ``content``."""
    return HASH_PREFIX + hashlib.sha256(canonical_bytes(content)).hexdigest()


def dumps(data: Any) -> str:
    """Readable JSON for people and tools alike: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
