"""Whole-scope aggregates for dashboards, from computed results (pure; no database).

The definitions are those of the propagation store (:mod:`terms.propagation.flow` and
:mod:`graph.results.aggregates`), so an aggregate computed here (``as_of`` an instant, or
over models not materialised yet) answers like the materialised one:

* **term flow** — over the descendants (members below the sources), for every term in force
  on one: *violate* when it is violated there, else *drop* when the model's own declaration
  drops it, else *keep*; most reached first;
* **relicensing points** — the members where a term is first dropped (``relicensed``), each
  with the parent edges it left, ranked by how many models sit at and below it;
* conflicts by rule over every member; members by depth and relation; deployments reached;
  the members nearest first, with the edges among them, for drawing.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence

from crawler.observations import ModelStatus, Relation
from terms.deadline import check as check_deadline
from terms.licenses import LicenseCatalog
from terms.propagation import PropagationResult
from terms.propagation.flow import FlowFacts
from terms.propagation.flow import conflict_state as engine_conflict_state
from terms.propagation.model import LineageView
from terms.propagation.rules import ConflictState, Severity
from graph.reads.scope import ScopeMembers
from graph.reads.types import (
    Deployment, FamilyEdge, FamilyNode, PropagationSummary, RelicensingPoint, RuleTally, TermFlow,
)

__all__ = [
    "MAX_DEPLOYMENTS",
    "TOP_RELICENSING",
    "conflict_state",
    "count_rules",
    "rule_rows",
    "summarise",
    "term_rows",
]

TOP_RELICENSING = 25
MAX_DEPLOYMENTS = 1000


def conflict_state(result: PropagationResult | None) -> ConflictState:
    """The worst severity among a model's conflicts (none without a result)."""
    return ConflictState.NONE if result is None else engine_conflict_state(result)


def rule_rows(conflicts: Counter[tuple[str, Severity]], models: Counter[tuple[str, Severity]]) -> tuple[RuleTally, ...]:
    """Tallies of each (rule, severity): conflicts and models with at least one; most conflicts first."""
    ordered = sorted(conflicts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(RuleTally(rule, severity, n, models[(rule, severity)]) for (rule, severity), n in ordered)


def count_rules(result: PropagationResult, conflicts: Counter[tuple[str, Severity]], models: Counter[tuple[str, Severity]]) -> None:
    """Adds a model's conflicts to the tallies: each conflict once, the model once per (rule, severity)."""
    found = [(c.rule, c.severity) for c in result.conflicts]
    conflicts.update(found)
    models.update(set(found))


def term_rows(flow: Mapping[str, Counter[str]], catalog: LicenseCatalog) -> tuple[TermFlow, ...]:
    terms = catalog.all_terms
    rows = [
        TermFlow(tid, terms[tid].kind.value if tid in terms else "unknown", f["keep"], f["drop"], f["violate"])
        for tid, f in flow.items()
    ]
    return tuple(sorted(rows, key=lambda t: (-(t.keep + t.drop + t.violate), t.term_id)))


def _declared(view: LineageView, model_id: str) -> str | None:
    node = view.nodes.get(model_id)
    if node is None or not node.declarations:
        return None
    return node.declarations[-1].license_id


def summarise(
    scope: ScopeMembers,
    view: LineageView,
    results: Mapping[str, PropagationResult],
    flow: Mapping[str, FlowFacts],
    deployments: Sequence[Deployment],
    catalog: LicenseCatalog,
) -> PropagationSummary:
    """Aggregates over a scope's members from their computed results and flow facts."""
    member_ids = [m.id for m in scope.members]
    inside = set(member_ids)
    depth = {m.id: m.depth for m in scope.members}
    edges = sorted(
        (e for e in view.edges if e.child in inside and e.parent in inside and e.child != e.parent),
        key=lambda e: (e.child, e.parent),
    )
    parents: dict[str, list[tuple[str, Relation]]] = {}
    children: dict[str, list[str]] = {}
    for e in edges:
        parents.setdefault(e.child, []).append((e.parent, e.relation))
        children.setdefault(e.parent, []).append(e.child)
    relation: dict[str, Relation] = {}
    for m in scope.members:
        if m.depth == 0:
            continue
        if m.relation is not None:
            relation[m.id] = m.relation
        else:
            ups = sorted((depth.get(p, 1 << 30), p, r) for p, r in parents.get(m.id, ()))
            relation[m.id] = ups[0][2] if ups else Relation.UNKNOWN

    terms: dict[str, Counter[str]] = {}
    rules: Counter[tuple[str, Severity]] = Counter()
    rule_models: Counter[tuple[str, Severity]] = Counter()
    for model_id in member_ids:
        check_deadline()
        result = results.get(model_id)
        if result is None:
            continue
        count_rules(result, rules, rule_models)
        if depth[model_id] == 0:
            continue
        facts = flow.get(model_id)
        dropped = set(facts.dropped) if facts else set()
        violated = set(facts.violated) if facts else set()
        for tid in result.term_ids:
            cls = "violate" if tid in violated else "drop" if tid in dropped else "keep"
            terms.setdefault(tid, Counter())[cls] += 1

    points: list[tuple[int, str, tuple[str, ...]]] = []
    for model_id in member_ids:
        facts = flow.get(model_id)
        if facts is not None and facts.relicensed:
            points.append((_reach(model_id, children), model_id, facts.relicensed))
    points.sort(key=lambda p: (-p[0], p[1]))
    relicensing: list[RelicensingPoint] = []
    for downstream, model_id, dropped_terms in points[:TOP_RELICENSING]:
        for parent in sorted({e.parent for e in view.parent_edges(model_id)}):
            relicensing.append(RelicensingPoint(
                parent, model_id, dropped_terms, _declared(view, parent), _declared(view, model_id), downstream
            ))

    nodes = tuple(
        FamilyNode(
            m.id,
            m.depth,
            _declared(view, m.id),
            conflict_state(results.get(m.id)),
            view.nodes[m.id].status if m.id in view.nodes else ModelStatus.UNKNOWN,
        )
        for m in scope.members
    )
    return PropagationSummary(
        scope=scope.scope,
        total=len(member_ids),
        by_depth=tuple(sorted(Counter(depth.values()).items())),
        by_relation=tuple(sorted(Counter(relation.values()).items())),
        term_flow=term_rows(terms, catalog),
        relicensing=tuple(relicensing),
        conflicts_by_rule=rule_rows(rules, rule_models),
        deployments=tuple(deployments[:MAX_DEPLOYMENTS]),
        deployments_total=len(deployments),
        source="computed",
        root=scope.sources[0] if scope.scope.startswith("root:") else None,
        nodes=nodes,
        edges=tuple(FamilyEdge(e.child, e.parent, e.relation) for e in edges),
    )


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
