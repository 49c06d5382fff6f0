"""Plain graph records: what the writer puts into Neo4j, one record per node or relationship fact.

Records are produced by :mod:`graph.mapping` from crawler observations and consumed by
:mod:`graph.writer`. They hold only values that Neo4j can store (str, int, float, bool,
UTC datetimes, homogeneous lists of those); labels and relationship types come from the
closed enums below, never from data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from crawler.observations import Source
from graph.history import DatedSegment

__all__ = [
    "AliasRecord",
    "DerivationRecord",
    "EvidenceRecord",
    "GraphRecords",
    "LinkRecord",
    "LinkType",
    "ModelMention",
    "ModelRecord",
    "NodeLabel",
    "NodeRecord",
    "ParentSet",
    "ProblemRecord",
    "PropValue",
    "VersionedLink",
    "VersionedLinkType",
]

PropValue = str | int | float | bool | datetime | list[str]


class NodeLabel(enum.StrEnum):
    """Labels of simple nodes (Model has its own records)."""

    PARTY = "Party"
    LICENSE = "License"
    DATASET = "Dataset"
    DEPLOYMENT = "Deployment"
    FILE = "File"


class LinkType(enum.StrEnum):
    """Relationships that carry evidence but no versions."""

    SERVES = "SERVES"  # (:Deployment)-[:SERVES]->(:Model)
    OPERATES = "OPERATES"  # (:Party)-[:OPERATES]->(:Deployment)
    TRAINED_ON = "TRAINED_ON"  # (:Model)-[:TRAINED_ON]->(:Dataset)
    HAS_FILE = "HAS_FILE"  # (:Model)-[:HAS_FILE]->(:File)


class VersionedLinkType(enum.StrEnum):
    """Single-valued facts of a model kept as versions (one open at a time)."""

    DECLARES = "DECLARES"  # (:Model)-[:DECLARES]->(:License)
    PUBLISHED = "PUBLISHED"  # (:Party)-[:PUBLISHED]->(:Model)


@dataclass(frozen=True, slots=True)
class NodeRecord:
    label: NodeLabel
    key: str  # value of the node's unique key (``id``, or ``sha256`` for File)
    prov: Source  # observed_at in UTC
    props: dict[str, PropValue] = field(default_factory=dict)
    first_seen: datetime | None = None  # earliest sighting in the batch when before prov.observed_at


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A model observed itself (not merely named)."""

    id: str
    prov: Source  # observed_at in UTC
    status: str | None  # versioned; None = observation says nothing about it
    gate: str | None  # versioned; None = not known
    props: dict[str, PropValue] = field(default_factory=dict)
    known_from: str | None = None  # "listed" / "crawled": stamps listed_at / crawled_at; None for deletions


@dataclass(frozen=True, slots=True)
class ModelMention:
    """A model named by another fact (a parent, a served model, …); created with status unknown."""

    id: str
    prov: Source  # observed_at in UTC


@dataclass(frozen=True, slots=True)
class VersionedLink:
    type: VersionedLinkType
    model_id: str
    target_id: str  # License id or Party id
    prov: Source  # observed_at in UTC
    props: dict[str, PropValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkRecord:
    type: LinkType
    src: str  # key of the start node
    dst: str  # key of the end node
    prov: Source  # observed_at in UTC
    props: dict[str, PropValue] = field(default_factory=dict)
    first_seen: datetime | None = None  # earliest sighting in the batch when before prov.observed_at


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One piece of evidence for a DERIVED_FROM edge; identity is (kind, detail, url)."""

    kind: str
    detail: str
    relation: str
    confidence: float
    url: str
    revision: str | None
    first_seen: datetime
    last_seen: datetime

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.detail, self.url)


@dataclass(frozen=True, slots=True)
class DerivationRecord:
    """Every piece of evidence seen in one batch for one child → parent edge."""

    child: str
    parent: str
    evidence: tuple[EvidenceRecord, ...]


@dataclass(frozen=True, slots=True)
class ParentSet:
    """A full observation of ``child`` at ``observed_at`` saw exactly these parents."""

    child: str
    parents: frozenset[str]
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class AliasRecord:
    old_id: str
    new_id: str
    prov: Source  # observed_at in UTC


@dataclass(frozen=True, slots=True)
class ProblemRecord:
    model_id: str
    kind: str
    message: str
    prov: Source  # observed_at in UTC


@dataclass(frozen=True, slots=True)
class DatedRecord:
    """One fact of a model dated by its commit history (graph.history, "versions dated by commit
    history"): the model's DECLARES (``parent`` None, segment targets = licence ids) or its
    DERIVED_FROM to ``parent`` (segment targets = the parent id)."""

    model_id: str
    parent: str | None
    segments: tuple[DatedSegment, ...]
    prov: Source  # the commit listing; observed_at in UTC
    earliest: datetime | None = None  # the model's record: the date of the oldest commit examined (it existed then)


@dataclass(slots=True)
class GraphRecords:
    """Everything one batch of observations becomes, grouped by statement."""

    aliases: list[AliasRecord] = field(default_factory=list)
    nodes: list[NodeRecord] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    unavailable: list[ModelRecord] = field(default_factory=list)
    mentions: list[ModelMention] = field(default_factory=list)
    versioned: list[VersionedLink] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    derivations: list[DerivationRecord] = field(default_factory=list)
    parent_sets: list[ParentSet] = field(default_factory=list)
    problems: list[ProblemRecord] = field(default_factory=list)
    dated: list[DatedRecord] = field(default_factory=list)
    skipped: int = 0  # observations that map to nothing (e.g. a file without sha256)

    def model_ids(self) -> set[str]:
        """Every model id any record refers to (for alias resolution)."""
        ids = {m.id for m in self.models} | {m.id for m in self.unavailable}
        ids |= {m.id for m in self.mentions}
        ids |= {v.model_id for v in self.versioned}
        ids |= {d.child for d in self.derivations} | {d.parent for d in self.derivations}
        ids |= {p.child for p in self.parent_sets} | {x for p in self.parent_sets for x in p.parents}
        ids |= {p.model_id for p in self.problems}
        ids |= {d.model_id for d in self.dated} | {d.parent for d in self.dated if d.parent is not None}
        for link in self.links:
            if link.type in (LinkType.TRAINED_ON, LinkType.HAS_FILE):
                ids.add(link.src)
            elif link.type is LinkType.SERVES:
                ids.add(link.dst)
        return ids
