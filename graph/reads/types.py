"""Read models: plain frozen data classes returned by the reads (no driver types)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from crawler.observations import DeploymentKind, KnownFrom, ModelStatus, Relation
from terms.propagation.rules import ConflictState, Severity

__all__ = [
    "AncestorNode",
    "AsOfCoverage",
    "Ancestry",
    "Deployment",
    "Descendant",
    "DescendantsPage",
    "EdgePage",
    "Evidence",
    "FamilyEdge",
    "FamilyNode",
    "FamilyStats",
    "FileMatch",
    "HistoryEvent",
    "LineageEdge",
    "MaterialisedSummary",
    "ModelFacts",
    "ModelPage",
    "ModelRef",
    "PathKind",
    "PathsBetween",
    "PropagationSummary",
    "RelicensingPoint",
    "PageKey",
    "RootEntry",
    "RootPage",
    "TermFlow",
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
    listed_at: datetime | None = None  # last seen in a hub listing (or a metadata dump)
    crawled_at: datetime | None = None  # last read itself (model_info, files, card, configs)
    known_since: datetime | None = None  # as-of reads only (graph.reads.known_since); None on current reads

    @property
    def id(self) -> str:
        return self.ref.id

    @property
    def known_from(self) -> KnownFrom | None:
        """How much the graph's facts of this model rest on: its own page read, a listing, or neither.

        None for a model only named as another's parent, or written before this was recorded.
        """
        if self.crawled_at is not None:
            return KnownFrom.CRAWLED
        if self.listed_at is not None:
            return KnownFrom.LISTED
        return None


PageKey = tuple[int | str, str]
"""Where a sorted page ends: the last row's sort key (an integer, or the id when ordered by id) and its id."""


@dataclass(frozen=True, slots=True)
class ModelPage:
    items: tuple[ModelFacts, ...]
    total: int | None  # None when not counted
    next_after: PageKey | None  # the last row's key when more follow


@dataclass(frozen=True, slots=True)
class RootEntry:
    model: ModelFacts
    descendants: int


@dataclass(frozen=True, slots=True)
class RootPage:
    items: tuple[RootEntry, ...]
    total: int | None  # None when not counted
    next_after: PageKey | None  # the last row's (descendants, id) when more follow


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


@dataclass(frozen=True, slots=True)
class TermFlow:
    term_id: str
    kind: str
    keep: int
    drop: int
    violate: int


@dataclass(frozen=True, slots=True)
class RelicensingPoint:
    parent: str
    child: str
    dropped_terms: tuple[str, ...]
    from_license: str | None
    to_license: str | None
    downstream: int  # the child and every model below it


@dataclass(frozen=True, slots=True)
class FamilyNode:
    id: str
    depth: int
    license_id: str | None
    conflict_state: ConflictState
    status: ModelStatus


@dataclass(frozen=True, slots=True)
class FamilyEdge:
    child: str
    parent: str
    relation: Relation


@dataclass(frozen=True, slots=True)
class AsOfCoverage:
    """Of a set of models (a scope's members then or now), how many are known at ``as_of``
    (:mod:`graph.reads.known_since`).

    ``known + not_yet_known`` is the size of the set; an answer at ``as_of`` can speak only for the
    ``known`` ones. ``earliest_known_since``: before it nothing of the set is known;
    ``latest_known_since``: from it on every model of the set is.
    """

    as_of: datetime
    known: int
    not_yet_known: int
    earliest_known_since: datetime | None
    latest_known_since: datetime | None


@dataclass(frozen=True, slots=True)
class RuleTally:
    """One rule at one severity over a scope: its conflicts, and the models with at least one of them."""

    rule: str
    severity: Severity
    conflicts: int
    models: int


@dataclass(frozen=True, slots=True)
class PropagationSummary:
    scope: str
    total: int  # members, the sources included
    by_depth: tuple[tuple[int, int], ...]
    by_relation: tuple[tuple[Relation, int], ...]
    term_flow: tuple[TermFlow, ...]
    relicensing: tuple[RelicensingPoint, ...]
    conflicts_by_rule: tuple[RuleTally, ...]  # most conflicts first
    deployments: tuple[Deployment, ...]  # nearest first, at most scope_summary.MAX_DEPLOYMENTS
    deployments_total: int
    source: Literal["materialised", "computed"]
    root: str | None = None
    nodes: tuple[FamilyNode, ...] | None = None  # computed scopes: every member, nearest first
    edges: tuple[FamilyEdge, ...] | None = None  # computed scopes: every edge between members
    # materialised families: a drawing read ahead (limit, nodes, edges, members in the family)
    drawing: tuple[int, tuple[FamilyNode, ...], tuple[FamilyEdge, ...], int] | None = None
    coverage: AsOfCoverage | None = None  # as-of scopes: how many of the scope's models are known then
    fixtures_left_out: tuple[str, ...] = ()  # id prefixes of the constructed fixture models not counted
