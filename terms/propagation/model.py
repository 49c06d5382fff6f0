"""Input of the propagation engine: a lineage view of models and their ancestors.

A view is plain data (frozen dataclasses), built by the graph reader from Neo4j or by tests
from recorded Hub rows. Facts that change over time (a declaration, an edge) carry
``valid_from``/``valid_to``; :func:`view_as_of` filters a view to one instant, and the engine
always works on an already-filtered view.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from crawler.observations import DeploymentKind, ModelStatus, Relation
from terms.licenses.resolve import Resolved

__all__ = [
    "MULTIMODAL_PIPELINE_TAGS",
    "DeclarationSource",
    "DeploymentRef",
    "LicenseDeclaration",
    "LineageEdge",
    "LineageView",
    "ModelNode",
    "Party",
    "PartyKind",
    "WeightsAccess",
    "view_as_of",
]

MULTIMODAL_PIPELINE_TAGS = frozenset({
    "image-text-to-text",
    "visual-question-answering",
    "document-question-answering",
    "video-text-to-text",
    "audio-text-to-text",
    "any-to-any",
    "image-to-text",
})
"""Hub pipeline tags that mark a model as multimodal (for the Llama 3.2+ EU exclusion)."""


class DeclarationSource(enum.StrEnum):
    CARD = "card"  # cardData.license (+ license_name)
    TAG = "tag"  # the Hub's license:<id> tag
    API = "api"  # another API field
    REGISTERED = "registered"  # asserted by an operator


class PartyKind(enum.StrEnum):
    ORG = "org"
    USER = "user"
    UNKNOWN = "unknown"


class WeightsAccess(enum.StrEnum):
    PUBLIC = "public"
    GATED = "gated"
    PRIVATE = "private"
    UNKNOWN = "unknown"


def _valid_at(valid_from: datetime | None, valid_to: datetime | None, instant: datetime) -> bool:
    return (valid_from is None or valid_from <= instant) and (valid_to is None or instant < valid_to)


@dataclass(frozen=True, slots=True)
class LicenseDeclaration:
    """One licence declaration as the hub stated it (``license_id`` may be ``other`` or unrecognised).

    ``resolution`` is the outcome of resolving it when it was recorded (the graph stores the
    resolved id); without one, the engine resolves ``license_id`` and ``license_name``.
    """

    license_id: str | None
    license_name: str | None = None
    source: DeclarationSource = DeclarationSource.CARD
    raw: str | None = None  # the verbatim value or licence text
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    resolution: Resolved | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """Who published a model; optional facts used by the threshold and EU-domicile rules."""

    id: str
    kind: PartyKind = PartyKind.UNKNOWN
    eu_domiciled: bool | None = None
    monthly_active_users: int | None = None
    annual_revenue_usd: int | None = None


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """A deployment serving the model (Space, inference provider, endpoint, registered)."""

    id: str
    kind: DeploymentKind
    operator: str | None = None
    monetised: bool | None = None
    high_risk_purpose: bool | None = None  # used for an AI Act Annex III purpose


@dataclass(frozen=True, slots=True)
class ModelNode:
    """A model and the facts the engine needs; unknown facts stay ``None``/``unknown``."""

    id: str
    declarations: tuple[LicenseDeclaration, ...] = ()
    party: Party | None = None
    status: ModelStatus = ModelStatus.AVAILABLE
    name: str | None = None
    training_compute_flops: float | None = None
    modification_compute_flops: float | None = None
    params: int | None = None  # parameter count of the weights, as the Hub lists it
    params_source: str | None = None  # where the count was read, e.g. ``safetensors total``
    weights: WeightsAccess = WeightsAccess.UNKNOWN
    monetised: bool | None = None
    multimodal: bool | None = None
    pipeline_tag: str | None = None
    tags: tuple[str, ...] = ()
    card_text: str | None = None
    deployments: tuple[DeploymentRef, ...] = ()
    license_recorded: bool = True
    """False when the model's own record was never fetched (a reference stub: the hub's answer
    carries neither tags nor card data), so whether it declares a licence is not known (gap G09)."""

    @property
    def display_name(self) -> str:
        """The model's name: ``name`` if given, else the repo part of the id."""
        return self.name or self.id.rsplit("/", 1)[-1]

    @property
    def party_id(self) -> str | None:
        """The publishing party: ``party.id``, else the namespace of the repo id."""
        if self.party is not None:
            return self.party.id
        return self.id.split("/", 1)[0] if "/" in self.id else None

    @property
    def is_multimodal(self) -> bool | None:
        """Explicit ``multimodal``, else read from the pipeline tag; None when neither is known."""
        if self.multimodal is not None:
            return self.multimodal
        if self.pipeline_tag is None:
            return None
        return self.pipeline_tag in MULTIMODAL_PIPELINE_TAGS

    @property
    def weights_access(self) -> WeightsAccess:
        """Explicit ``weights``, else derived from the status (available → public, gated → gated)."""
        if self.weights is not WeightsAccess.UNKNOWN:
            return self.weights
        if self.status is ModelStatus.AVAILABLE:
            return WeightsAccess.PUBLIC
        if self.status is ModelStatus.GATED:
            return WeightsAccess.GATED
        return WeightsAccess.UNKNOWN


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """Child derived from parent. ``via_outputs``: trained on the parent's outputs (distillation, synthetic data)."""

    child: str
    parent: str
    relation: Relation
    via_outputs: bool = False
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class LineageView:
    """Models and derivation edges; parents missing from ``nodes`` are dangling references."""

    nodes: Mapping[str, ModelNode]
    edges: tuple[LineageEdge, ...]
    _parents: Mapping[str, tuple[LineageEdge, ...]] = field(init=False, repr=False, compare=False)
    _children: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parents: dict[str, list[LineageEdge]] = {}
        children: dict[str, set[str]] = {}
        for edge in self.edges:
            parents.setdefault(edge.child, []).append(edge)
            children.setdefault(edge.parent, set()).add(edge.child)
        frozen = {k: tuple(sorted(v, key=lambda e: (e.parent, e.relation.value))) for k, v in parents.items()}
        object.__setattr__(self, "_parents", MappingProxyType(frozen))
        object.__setattr__(self, "_children", MappingProxyType({k: tuple(sorted(v)) for k, v in children.items()}))

    @classmethod
    def build(cls, nodes: Iterable[ModelNode], edges: Iterable[LineageEdge]) -> LineageView:
        """A view from iterables (a later node with the same id replaces an earlier one)."""
        return cls(MappingProxyType({n.id: n for n in nodes}), tuple(edges))

    def parent_edges(self, model_id: str) -> tuple[LineageEdge, ...]:
        """Edges from ``model_id`` to its parents, sorted by parent id."""
        return self._parents.get(model_id, ())

    def children(self, model_id: str) -> tuple[str, ...]:
        """Direct children of ``model_id``, sorted."""
        return self._children.get(model_id, ())

    @property
    def children_map(self) -> Mapping[str, tuple[str, ...]]:
        """Model id → direct children (the descendants map of the incremental API)."""
        return self._children


def view_as_of(view: LineageView, instant: datetime) -> LineageView:
    """The view as it was at ``instant``: edges and declarations valid then (``valid_from <= t < valid_to``)."""
    nodes = []
    for node in view.nodes.values():
        kept = tuple(d for d in node.declarations if _valid_at(d.valid_from, d.valid_to, instant))
        nodes.append(node if kept == node.declarations else replace(node, declarations=kept))
    edges = [e for e in view.edges if _valid_at(e.valid_from, e.valid_to, instant)]
    return LineageView.build(nodes, edges)

