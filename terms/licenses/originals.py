"""Hub organisations known to pretrain their own models (``data/originals.yaml``).

A model with no recorded parent is an original only when it is known to have none: its author is
the licensor of the licence it declares, or an organisation listed here (with a public source
saying it pretrains its own models). Anyone else's parentless model has a parent not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml

from terms.licenses.catalog import DATA_DIR
from terms.licenses.errors import KnowledgeBaseError

__all__ = ["OriginalPublisher", "original_publishers"]

ORIGINALS_FILE = DATA_DIR / "originals.yaml"


class OriginalPublisher(NamedTuple):
    """A hub organisation that pretrains models, with the source that says so."""

    org: str
    name: str
    source: str


def load_original_publishers(path: Path = ORIGINALS_FILE) -> Mapping[str, OriginalPublisher]:
    """The listed organisations by hub org; every entry needs a name and an http(s) source."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    entries = data.get("originals") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise KnowledgeBaseError(f"{path.name} must hold an 'originals' mapping")
    out: dict[str, OriginalPublisher] = {}
    for org, entry in entries.items():
        name = entry.get("name") if isinstance(entry, dict) else None
        source = entry.get("source") if isinstance(entry, dict) else None
        if not name or not isinstance(source, str) or not source.startswith(("https://", "http://")):
            raise KnowledgeBaseError(f"{path.name}: {org} needs a name and a public source URL")
        out[str(org)] = OriginalPublisher(str(org), str(name), source)
    return out


@cache
def original_publishers() -> Mapping[str, OriginalPublisher]:
    """The bundled list (loaded once per process)."""
    return load_original_publishers()
