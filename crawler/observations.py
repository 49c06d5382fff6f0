"""Typed, immutable observations: what a crawl saw on a hub, with its evidence.

The crawler yields these; the graph package maps them to nodes and relationships.
Nothing here knows about Neo4j, Celery or HTTP. Every observation carries a
:class:`Source` (the URL it was read from, the revision sha, when it was observed).

Observation tree::

    Observation
    ├── ModelSeen        a model repo and its declared facts (or its absence: status)
    ├── DerivationSeen   child → parent, with relation, evidence kind and confidence
    ├── DeploymentSeen   a Space / inference provider / endpoint serving a model
    ├── FileSeen         one file of a model repo (LFS sha256 where known)
    ├── AliasSeen        an old repo id that now answers as another id
    ├── DeclarationHistory  a model's licence and base models as its card declared them,
    │                    dated by the commits that changed the card (valid time)
    └── ProblemSeen      something that went wrong or looks wrong, recorded as a fact
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AliasSeen",
    "DatedDeclaration",
    "DeclarationHistory",
    "DeclaredBase",
    "DeclaredLicense",
    "DeploymentKind",
    "DeploymentSeen",
    "DerivationSeen",
    "EvidenceKind",
    "FileSeen",
    "GateState",
    "KnownFrom",
    "ModelSeen",
    "ModelStatus",
    "Observation",
    "ProblemKind",
    "ProblemSeen",
    "Relation",
    "Source",
]


class Relation(enum.StrEnum):
    """How a child model was derived from a parent (DESIGN.md, DERIVED_FROM.relation)."""

    FINETUNE = "finetune"
    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    UNKNOWN = "unknown"


class EvidenceKind(enum.StrEnum):
    """Where a derivation was read from, strongest first."""

    HUB_TAG = "hub_tag"  # Hub-computed tag base_model:<relation>:<id>
    CARD_BASE_MODEL = "card_base_model"  # cardData.base_model in the card's YAML
    ADAPTER_CONFIG = "adapter_config"  # adapter_config.json base_model_name_or_path
    MERGEKIT_CONFIG = "mergekit_config"  # mergekit_config.yml models / base_model
    GGUF_METADATA = "gguf_metadata"  # general.base_model.* in GGUF metadata
    CONFIG_NAME_OR_PATH = "config_name_or_path"  # config.json _name_or_path
    CARD_TEXT = "card_text"  # "Original model: X", "quantized version of X"
    NAME_PATTERN = "name_pattern"  # repo/file naming (…-GGUF, …-AWQ, bnb-4bit)
    REGISTERED = "registered"  # asserted by an operator through the API


class ModelStatus(enum.StrEnum):
    """What the hub said of a model repo the last time it was asked."""

    AVAILABLE = "available"
    GATED = "gated"
    DELETED = "deleted"
    UNAVAILABLE = "unavailable"  # the hub could not be asked (5xx, timeouts) — unknown, not absent
    UNKNOWN = "unknown"  # known only as someone's parent


class KnownFrom(enum.StrEnum):
    """How much of a model an observation rests on.

    ``listed``: one item of a hub listing (declared lineage and licence, counts, dates — no files,
    no card text, no configs); ``crawled``: the model itself was read (``model_info`` with its
    files, card and configs). A model known only from listings is crawled on demand.
    """

    LISTED = "listed"
    CRAWLED = "crawled"


class GateState(enum.StrEnum):
    OPEN = "open"
    AUTO = "auto"
    MANUAL = "manual"


class DeploymentKind(enum.StrEnum):
    """What serves a model (the order is the one the GraphQL schema lists)."""

    REGISTERED = "registered"  # asserted by an operator through the API
    ENDPOINT = "endpoint"
    SPACE = "space"
    INFERENCE_PROVIDER = "inference_provider"


class ProblemKind(enum.StrEnum):
    MALFORMED_CARD = "malformed_card"
    INVALID_BASE_MODEL = "invalid_base_model"
    INVALID_REPO_ID = "invalid_repo_id"
    SELF_REFERENCE = "self_reference"
    CYCLE = "cycle"
    NOT_FOUND = "not_found"
    GATED = "gated"
    RENAMED = "renamed"
    CARD_TAG_DISAGREE = "card_tag_disagree"
    UNKNOWN_LICENSE = "unknown_license"
    RATE_LIMITED = "rate_limited"
    HUB_ERROR = "hub_error"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True)
class Source:
    """The evidence for an observation: where and when it was read."""

    url: str
    revision: str | None
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class DeclaredLicense:
    """A model's licence exactly as the hub declared it; which licence it names is decided by
    the licence knowledge base (``terms.licenses.resolve``), not here.

    ``id`` is the one value the card's ``license`` (or the ``license:<id>`` tag) gives, as
    written; a value that is not one string (several licences, a number) is kept as JSON text.
    ``written_as`` is the card's value as JSON text when it differs from ``id`` (a one-item list).
    """

    id: str | None = None
    name: str | None = None  # the card's license_name
    link: str | None = None  # the card's license_link
    written_as: str | None = None

    @property
    def raw(self) -> str | None:
        """What the hub said for ``license``, verbatim."""
        return self.id if self.written_as is None else self.written_as


@dataclass(frozen=True, slots=True)
class ModelSeen:
    id: str
    source: Source
    status: ModelStatus = ModelStatus.AVAILABLE
    author: str | None = None
    declared_license: DeclaredLicense | None = None  # as stated; resolved when the graph is written
    pipeline_tag: str | None = None
    library: str | None = None
    created_at: datetime | None = None
    last_modified: datetime | None = None
    sha: str | None = None
    downloads: int | None = None
    likes: int | None = None
    gated: GateState | None = None
    params: int | None = None
    params_source: str | None = None  # where ``params`` was read: ``safetensors total`` | ``gguf total``
    training_compute_flops: float | None = None
    tags: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    known_from: KnownFrom = KnownFrom.CRAWLED
    license_recorded: bool = True  # False: the answer carries neither tags nor card data (a reference stub)


@dataclass(frozen=True, slots=True)
class DerivationSeen:
    child_id: str
    parent_id: str
    relation: Relation
    evidence_kind: EvidenceKind
    evidence_detail: str
    confidence: float  # 1.0 for declared lineage, below 1 for inferred
    source: Source


@dataclass(frozen=True, slots=True)
class DeploymentSeen:
    id: str  # e.g. "space:owner/name", "provider:together:meta-llama/Llama-3.1-8B"
    kind: DeploymentKind
    model_id: str
    operator: str | None  # the party running it (space owner, provider name)
    status: str | None  # e.g. RUNNING, live, staging, error
    url: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class FileSeen:
    model_id: str
    name: str
    size: int | None
    sha256: str | None  # from LFS metadata; None for non-LFS files
    source: Source


@dataclass(frozen=True, slots=True)
class AliasSeen:
    old_id: str
    new_id: str
    source: Source


@dataclass(frozen=True, slots=True)
class ProblemSeen:
    model_id: str
    kind: ProblemKind
    message: str
    source: Source


@dataclass(frozen=True, slots=True)
class DeclaredBase:
    """One base model a card declared (``cardData.base_model``), with the relation it gives."""

    parent_id: str
    relation: Relation


@dataclass(frozen=True, slots=True)
class DatedDeclaration:
    """What a model's card declared from the commit that made it until the commit that changed it.

    ``valid_from`` is the date of the commit ``revision`` (the first whose card declared this),
    ``valid_to`` the date of the next commit that changed the card (None: still in force).
    ``url`` is where the card at that revision was read (or, for the head, the model's API URL).
    ``declared_license`` None: the card declared no licence (or there was no card).
    """

    revision: str
    url: str
    valid_from: datetime
    valid_to: datetime | None
    declared_license: DeclaredLicense | None
    base_models: tuple[DeclaredBase, ...] = ()


@dataclass(frozen=True, slots=True)
class DeclarationHistory:
    """A model's card declarations dated by its commit history (oldest version first).

    ``source`` is the commit listing (its URL, the head revision, when it was read).
    ``complete`` is false when the listing was cut at the max-commits bound: the oldest
    version then holds *at least* from its ``valid_from`` (the earliest commit examined).
    """

    model_id: str
    versions: tuple[DatedDeclaration, ...]
    source: Source
    complete: bool = True


Observation = (
    ModelSeen | DerivationSeen | DeploymentSeen | FileSeen | AliasSeen | ProblemSeen | DeclarationHistory
)
