"""Read models of the services: plain frozen data classes (no driver types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.reads.types import LineageEdge, ModelRef
from terms.propagation.rules import ConflictState

__all__ = [
    "EdgePage",
    "HistoryEvent",
    "MaterialisedSummary",
    "ModelFacts",
    "ModelPage",
    "RootEntry",
]


@dataclass(frozen=True, slots=True)
class MaterialisedSummary:
    """What the propagation store keeps on the node for lists (the current state only)."""

    version: int
    store_version: int | None
    kb_version: str | None
    conflict_state: ConflictState | None  # None: no result materialised

    def current(self, kb_version: str) -> bool:
        """Made by the running result format, store format and knowledge base."""
        from terms.propagation import RESULT_VERSION
        from graph.results.recompute import STORE_VERSION

        return self.version == RESULT_VERSION and self.store_version == STORE_VERSION and self.kb_version == kb_version


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """A model as it was at the read's ``as_of``: the shared ModelRef plus its descriptive facts."""

    ref: ModelRef
    name: str | None
    license_raw: str | None
    license_name: str | None
    license_link: str | None
    pipeline_tag: str | None
    library: str | None
    created_at: datetime | None
    last_modified: datetime | None
    sha: str | None
    downloads: int | None
    likes: int | None
    params: float | None
    training_compute_flops: float | None
    tags: tuple[str, ...]
    materialised: MaterialisedSummary | None

    @property
    def id(self) -> str:
        return self.ref.id


@dataclass(frozen=True, slots=True)
class ModelPage:
    items: tuple[ModelFacts, ...]
    total: int
    next_after: str | None  # the last id of the page when more follow


@dataclass(frozen=True, slots=True)
class RootEntry:
    model: ModelFacts
    descendants: int


@dataclass(frozen=True, slots=True)
class EdgePage:
    """One page of a model's parents or children (edges valid at the read's instant), with the total."""

    model_id: str
    edges: tuple[LineageEdge, ...]
    total: int
    next_after: str | None  # the id of the last other end when more follow


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """A change of one versioned fact: ``license``, ``base_model``, ``publisher``, ``status`` or ``gated``."""

    at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    source_url: str | None = None
    revision: str | None = None
    observed_at: datetime | None = None
    run: str | None = None
