"""Read models: plain frozen data classes returned by the lineage reads (no driver types)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from crawler.observations import DeploymentKind, ModelStatus, Relation

__all__ = [
    "Ancestry",
    "AncestorNode",
    "Deployment",
    "Descendant",
    "DescendantsPage",
    "Evidence",
    "FamilyStats",
    "FileMatch",
    "LineageEdge",
    "ModelRef",
    "PathKind",
    "PathsBetween",
]


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model as it was at the read's ``as_of`` (status, gate and licence in force then)."""

    id: str
    status: ModelStatus
    gated: str | None
    declared_license: str | None
    author: str | None
    aliases: tuple[str, ...]
    stale: bool
    first_seen: datetime | None
    last_seen: datetime | None
    last_run: str | None
    source_url: str | None
    revision: str | None


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str
    detail: str
    relation: Relation
    confidence: float
    source_url: str
    revision: str | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """One DERIVED_FROM version: ``child`` was derived from ``parent``."""

    child: str
    parent: str
    relation: Relation
    confidence: float
    valid_from: datetime
    valid_to: datetime | None
    first_seen: datetime
    last_seen: datetime
    last_run: str | None
    source_url: str | None
    revision: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class AncestorNode:
    model: ModelRef
    depth: int  # shortest distance from the asked model (1 = parent)


@dataclass(frozen=True, slots=True)
class Ancestry:
    """Ancestors of ``model`` up to the roots: nodes, edges and every simple path."""

    model: ModelRef
    as_of: datetime | None
    ancestors: tuple[AncestorNode, ...]
    edges: tuple[LineageEdge, ...]
    paths: tuple[tuple[str, ...], ...]  # each from the model up to a root (or where a cycle closes)
    roots: tuple[str, ...]
    truncated: bool  # max_depth or max_paths cut something off


@dataclass(frozen=True, slots=True)
class Descendant:
    model: ModelRef
    depth: int  # shortest distance from the root of the query
    relation: Relation  # how this descendant itself was derived (its edge towards the root)


@dataclass(frozen=True, slots=True)
class DescendantsPage:
    root: str
    as_of: datetime | None
    items: tuple[Descendant, ...]
    total: int  # descendants matching the filters, over all pages
    next_cursor: str | None


class PathKind(enum.StrEnum):
    SOURCE_DESCENDS_FROM_TARGET = "source_descends_from_target"
    TARGET_DESCENDS_FROM_SOURCE = "target_descends_from_source"
    COMMON_ANCESTOR = "common_ancestor"
    UNRELATED = "unrelated"


@dataclass(frozen=True, slots=True)
class PathsBetween:
    """How two models are related: directed lineage paths, or paths to their nearest common ancestors."""

    source: str
    target: str
    as_of: datetime | None
    kind: PathKind
    paths: tuple[tuple[str, ...], ...]  # directed: child → … → ancestor; common: source → … → ancestor ← … ← target
    common_ancestors: tuple[str, ...]
    edges: tuple[LineageEdge, ...]


@dataclass(frozen=True, slots=True)
class FamilyStats:
    root: str
    as_of: datetime | None
    total: int
    by_depth: tuple[tuple[int, int], ...]
    by_relation: tuple[tuple[Relation, int], ...]
    by_depth_relation: tuple[tuple[int, Relation, int], ...]


@dataclass(frozen=True, slots=True)
class FileMatch:
    sha256: str
    file_name: str | None
    size: int | None
    model: ModelRef


@dataclass(frozen=True, slots=True)
class Deployment:
    """A deployment serving the asked model (depth 0) or one of its descendants."""

    id: str
    kind: DeploymentKind
    status: str | None
    url: str | None
    operator: str | None
    model_id: str
    depth: int
    first_seen: datetime | None
    last_seen: datetime | None
