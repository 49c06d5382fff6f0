"""Whole-scope aggregates of propagation results, for dashboards (pure; no database).

For a scope (a root's family, or what a licence or term reaches) and a set of terms:

* **term flow** — for every descendant (members at depth > 0) and term: *keep* when its own
  declared licence carries the term (the same term or a stricter one; a quantization that
  declares nothing keeps its parent's licence exactly), *violate* when it does not although
  the term still binds it (a binding term of a licence in force on it), *drop* otherwise;
* **relicensing points** — edges inside the scope where the child's declared licence stops
  carrying terms its parent had in force, ranked by how many models sit at and below the
  child;
* conflicts by rule, members by depth and relation, deployments reached, and a drawable
  graph capped at ``limit`` nodes (nearest depths first).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crawler.observations import Relation
from graph.licenses import LicenseCatalog
from graph.propagation import PropagationResult, Severity
from graph.propagation.declared import DeclaredTerms, covered, declared_terms
from graph.services.engine_view import DeploymentRow, EngineInput
from graph.services.family import ScopeMembers

__all__ = [
    "FamilyEdge",
    "FamilyNode",
    "PropagationSummary",
    "RelicensingPoint",
    "TermFlow",
    "conflict_state",
    "summarise",
]

_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.VIOLATION: 3}
_STATE = {0: "none", 1: "info", 2: "warning", 3: "violation"}
TOP_RELICENSING = 25


def conflict_state(result: PropagationResult | None) -> str:
    """The worst severity among a model's conflicts: none | info | warning | violation."""
    if result is None:
        return "none"
    return _STATE[max((_RANK[c.severity] for c in result.conflicts), default=0)]


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
    downstream: int  # the child and every model below it in the scope


@dataclass(frozen=True, slots=True)
class FamilyNode:
    id: str
    depth: int
    license_id: str | None
    conflict_state: str
    status: str


@dataclass(frozen=True, slots=True)
class FamilyEdge:
    child: str
    parent: str
    relation: str


@dataclass(frozen=True, slots=True)
class PropagationSummary:
    scope: str
    total: int
    by_depth: tuple[tuple[int, int], ...]
    by_relation: tuple[tuple[str, int], ...]
    term_flow: tuple[TermFlow, ...]
    relicensing: tuple[RelicensingPoint, ...]
    conflicts_by_rule: tuple[tuple[str, str, int], ...]  # (rule, severity, count), most frequent first
    deployments: tuple[DeploymentRow, ...]
    nodes: tuple[FamilyNode, ...]  # every member, nearest depths first
    edges: tuple[FamilyEdge, ...]  # every edge between members


class _Carrier:
    """Does a model's own declaration carry a term? (memoised per declared licence set)"""

    def __init__(self, catalog: LicenseCatalog) -> None:
        self.catalog = catalog
        self._declared: dict[tuple[str, ...], DeclaredTerms] = {}
        self._family: dict[str, str] = {}

    def carries(self, own: tuple[str, ...], term_id: str, term_license: str) -> bool:
        term = self.catalog.all_terms.get(term_id)
        if term is None or not own:
            return False
        declared = self._declared.get(own)
        if declared is None:
            declared = self._declared[own] = declared_terms(self.catalog, own)
        family = self._family.get(term_license)
        if family is None:
            family = self._family[term_license] = self.catalog.get(term_license).family
        return covered(term, family, declared)


def _own(result: PropagationResult | None) -> tuple[str, ...]:
    if result is None:
        return ()
    return tuple(lid for lid in result.declared if lid not in ("none", "unknown"))


def summarise(
    scope: ScopeMembers,
    engine: EngineInput,
    results: Mapping[str, PropagationResult],
    catalog: LicenseCatalog,
    terms: Sequence[tuple[str, str]],
) -> PropagationSummary:
    """Aggregates over the scope's members; ``terms`` are the (term id, licence imposing it) pairs followed."""
    member_ids = [m.id for m in scope.members]
    inside = set(member_ids)
    depth = {m.id: m.depth for m in scope.members}
    edges = [e for e in engine.view.edges if e.child in inside and e.parent in inside and e.child != e.parent]
    parents: dict[str, list[tuple[str, Relation]]] = {}
    children: dict[str, list[str]] = {}
    for e in edges:
        parents.setdefault(e.child, []).append((e.parent, e.relation))
        children.setdefault(e.parent, []).append(e.child)
    relation: dict[str, str] = {}
    for m in scope.members:
        if m.depth == 0:
            continue
        if m.relation is not None:
            relation[m.id] = m.relation
        else:
            ups = sorted((depth.get(p, 1 << 30), p, r.value) for p, r in parents.get(m.id, ()))
            relation[m.id] = ups[0][2] if ups else Relation.UNKNOWN.value

    carrier = _Carrier(catalog)

    def carried(model_id: str, term_id: str, term_license: str) -> bool:
        result = results.get(model_id)
        own = _own(result)
        if not own:
            ups = parents.get(model_id, ())
            quantized = bool(ups) and all(r is Relation.QUANTIZED for _, r in ups)
            return quantized and result is not None and term_id in result.term_ids
        return carrier.carries(own, term_id, term_license)

    term_kind = {tid: (catalog.all_terms[tid].kind.value if tid in catalog.all_terms else "unknown") for tid, _ in terms}
    flow: dict[str, Counter[str]] = {tid: Counter() for tid, _ in terms}
    for model_id in member_ids:
        if depth[model_id] == 0:
            continue
        result = results.get(model_id)
        in_force = set(result.term_ids) if result is not None else set()
        binding: set[str] = set()
        if result is not None:
            for lic in result.licenses:
                binding |= catalog.terms(lic.license_id).binding
        for tid, lid in terms:
            if carried(model_id, tid, lid):
                flow[tid]["keep"] += 1
            elif tid in in_force and tid in binding:
                flow[tid]["violate"] += 1
            else:
                flow[tid]["drop"] += 1
    term_flow = tuple(
        TermFlow(tid, term_kind[tid], flow[tid]["keep"], flow[tid]["drop"], flow[tid]["violate"]) for tid, _ in terms
    )

    points: list[RelicensingPoint] = []
    below_cache: dict[str, int] = {}
    for e in sorted(edges, key=lambda e: (e.child, e.parent)):
        parent_result = results.get(e.parent)
        if parent_result is None:
            continue
        parent_terms = set(parent_result.term_ids)
        dropped = tuple(
            tid for tid, lid in terms
            if tid in parent_terms and carried(e.parent, tid, lid) and not carried(e.child, tid, lid)
        )
        if not dropped:
            continue
        if e.child not in below_cache:
            below_cache[e.child] = _reach(e.child, children)
        points.append(RelicensingPoint(
            e.parent, e.child, dropped, _first(_own(parent_result)), _first(_own(results.get(e.child))),
            below_cache[e.child],
        ))
    points.sort(key=lambda p: (-p.downstream, -len(p.dropped_terms), p.child, p.parent))

    rules: Counter[tuple[str, str]] = Counter()
    for model_id in member_ids:
        result = results.get(model_id)
        if result is not None:
            rules.update((c.rule, c.severity.value) for c in result.conflicts)

    facts = engine.facts
    nodes = tuple(
        FamilyNode(
            m.id,
            m.depth,
            facts[m.id].ref.declared_license if m.id in facts else None,
            conflict_state(results.get(m.id)),
            facts[m.id].ref.status if m.id in facts else "unknown",
        )
        for m in scope.members
    )
    deployments = tuple(d for model_id in member_ids for d in engine.deployments.get(model_id, ()))
    return PropagationSummary(
        scope=scope.scope,
        total=len(member_ids),
        by_depth=tuple(sorted(Counter(depth.values()).items())),
        by_relation=tuple(sorted(Counter(relation.values()).items())),
        term_flow=term_flow,
        relicensing=tuple(points[:TOP_RELICENSING]),
        conflicts_by_rule=tuple((r, s, n) for (r, s), n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))),
        deployments=deployments,
        nodes=nodes,
        edges=tuple(FamilyEdge(e.child, e.parent, e.relation.value) for e in sorted(edges, key=lambda e: (e.child, e.parent))),
    )


def _first(values: tuple[str, ...]) -> str | None:
    return values[0] if values else None


def _reach(start: str, children: Mapping[str, Sequence[str]]) -> int:
    """The start and every model reachable below it."""
    seen = {start}
    queue = deque([start])
    while queue:
        for child in children.get(queue.popleft(), ()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return len(seen)
