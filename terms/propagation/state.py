"""Per-model working state of one engine pass (internal).

A state holds the licences in force on a model with the path each came along (a linked list
of hops, so extending a path is O(1)), the unknown parts with their origin, the model's own
resolved declaration, and its parents' states. States are memoised: a family is computed in
one topological pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from crawler.observations import Relation
from terms.propagation.model import LineageEdge, ModelNode
from terms.licenses.model import TriState
from terms.propagation.result import PathStep, Scope

__all__ = ["Hop", "InForce", "ParentLink", "PathCache", "State", "UnknownPart", "SCOPE_RANK"]

SCOPE_RANK = {Scope.FULL: 2, Scope.FLOWING: 1, Scope.NAMING: 0}


class Hop:
    """One model on a path; ``next`` leads towards the source of a licence or gap."""

    __slots__ = ("length", "model_id", "next")

    def __init__(self, model_id: str, next_hop: Hop | None) -> None:
        self.model_id = model_id
        self.next = next_hop
        self.length: int = 0 if next_hop is None else next_hop.length + 1

    def model_ids(self) -> list[str]:
        out: list[str] = []
        hop: Hop | None = self
        while hop is not None:
            out.append(hop.model_id)
            hop = hop.next
        return out


class InForce(NamedTuple):
    """A licence in force, how much of it applies, and how it arrived."""

    license_id: str
    scope: Scope
    path: Hop
    via_outputs: bool = False
    relation: Relation | None = None  # relation of the edge it arrived through (None: own declaration)

    def better_than(self, other: InForce) -> bool:
        """Prefer more of the licence, then the shorter path (ties keep the first seen)."""
        mine, theirs = SCOPE_RANK[self.scope], SCOPE_RANK[other.scope]
        if mine != theirs:
            return mine > theirs
        return self.path.length < other.path.length


class UnknownPart(NamedTuple):
    """Terms that cannot be known, traced to the model (or cycle) where the gap is."""

    origin: str
    rule: str
    reason: str
    path: Hop


class ParentLink(NamedTuple):
    """A parent of the model as seen by the pass (relation made ``unknown`` when edges disagree)."""

    parent_id: str
    relation: Relation
    via_outputs: bool
    state: State | None  # None when the edge closes a cycle
    edges: tuple[LineageEdge, ...]


@dataclass(slots=True)
class State:
    model_id: str
    node: ModelNode | None
    label: str  # the licence shown for this model on paths
    own: tuple[str, ...] = ()
    own_gap: str | None = None
    own_raw: tuple[str, ...] = ()
    parents: list[ParentLink] = field(default_factory=list)
    inherited: dict[str, InForce] = field(default_factory=dict)
    in_force: dict[str, InForce] = field(default_factory=dict)
    unknowns: dict[str, UnknownPart] = field(default_factory=dict)
    cycle: tuple[str, ...] = ()
    here: Hop | None = None  # the one-model path of this model (shared by its own licences and conflicts)
    author: str | None = None
    only_quantized: bool = False
    mislabelled: tuple[str, ...] = ()  # own licences of a family whose other version the model inherits
    is_merge: bool = False
    unknowns_truncated: bool = False
    compute_missing: list[str] = field(default_factory=list)
    compute_exact: float | None = None
    compute_lower: float | None = None
    compute_upper: float | None = None  # at most this cumulative compute, under the stated assumption (euact)
    systemic: TriState = TriState.UNKNOWN
    systemic_basis: str = ""

    @property
    def hop(self) -> Hop:
        if self.here is None:
            self.here = Hop(self.model_id, None)
        return self.here

    def set_parents(self, links: list[ParentLink]) -> None:
        """Record the parents and the facts derived from them."""
        self.parents = links
        self.only_quantized = bool(links) and all(p.relation is Relation.QUANTIZED for p in links)
        self.is_merge = len(links) > 1 or any(p.relation is Relation.MERGE for p in links)


class PathCache:
    """Materialises hop chains as path steps, memoised per hop (descendants share their ancestors' hops)."""

    __slots__ = ("_cache", "_states")

    def __init__(self, states: dict[str, State]) -> None:
        self._states = states
        self._cache: dict[int, tuple[Hop, tuple[PathStep, ...]]] = {}

    def steps(self, path: Hop) -> tuple[PathStep, ...]:
        """The path as steps, each with the licence its model declares."""
        pending: list[Hop] = []
        hop: Hop | None = path
        tail: tuple[PathStep, ...] = ()
        while hop is not None:
            cached = self._cache.get(id(hop))
            if cached is not None and cached[0] is hop:
                tail = cached[1]
                break
            pending.append(hop)
            hop = hop.next
        for item in reversed(pending):
            state = self._states.get(item.model_id)
            tail = (PathStep(item.model_id, state.label if state is not None else "unknown"),) + tail
            self._cache[id(item)] = (item, tail)
        return tail
