"""Incremental recomputation and aggregation over many results.

When an ancestor's facts change (licence, relation, a new parent), only it and its
descendants need recomputing: :func:`recompute_order` gives them parents-first, cycle-safe.
:func:`aggregate_conflicts` counts conflicts by rule over results or their materialised
properties (``eff_conflict_rules``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from terms.propagation.result import PropagationResult
from terms.propagation.rules import RULES

__all__ = ["ConflictCounts", "affected_models", "aggregate_conflicts", "recompute_order"]


def affected_models(changed: Iterable[str], children: Mapping[str, Iterable[str]]) -> set[str]:
    """The changed models and every descendant reachable through ``children`` (model → direct children)."""
    seen: set[str] = set()
    todo = list(dict.fromkeys(changed))
    while todo:
        model_id = todo.pop()
        if model_id in seen:
            continue
        seen.add(model_id)
        todo.extend(c for c in children.get(model_id, ()) if c not in seen)
    return seen


def recompute_order(changed: Iterable[str], children: Mapping[str, Iterable[str]]) -> list[str]:
    """Affected models in topological order (a parent before its children); cycle members last, sorted.

    Kahn's algorithm over the affected sub-DAG; ties are broken by id so the order is stable.
    """
    affected = affected_models(changed, children)
    indegree = dict.fromkeys(affected, 0)
    for parent in affected:
        for child in set(children.get(parent, ())):
            if child in indegree and child != parent:
                indegree[child] += 1
    import heapq

    ready = [m for m, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        model_id = heapq.heappop(ready)
        order.append(model_id)
        for child in set(children.get(model_id, ())):
            if child in indegree and child != model_id:
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(ready, child)
    if len(order) < len(affected):
        placed = set(order)
        order.extend(sorted(m for m in affected if m not in placed))
    return order


@dataclass(frozen=True, slots=True)
class ConflictCounts:
    """Conflicts by rule and severity over a set of models."""

    models: int
    by_rule: dict[str, int]  # number of conflicts per rule
    models_by_rule: dict[str, int]  # number of models with at least one conflict of the rule
    by_severity: dict[str, int]


def aggregate_conflicts(results: Iterable[PropagationResult | Mapping[str, object]]) -> ConflictCounts:
    """Count conflicts over results or materialised ``eff_*`` property maps (rules sorted by id)."""
    by_rule: Counter[str] = Counter()
    models_by_rule: Counter[str] = Counter()
    models = 0
    for item in results:
        models += 1
        if isinstance(item, PropagationResult):
            rules = [c.rule for c in item.conflicts]
        else:
            raw = item.get("eff_conflict_rules") or []
            rules = [str(r) for r in raw] if isinstance(raw, (list, tuple)) else []
        by_rule.update(rules)
        models_by_rule.update(set(rules))
    by_severity: Counter[str] = Counter()
    for rule, count in by_rule.items():
        spec = RULES.get(rule)
        by_severity[spec.severity.value if spec else "unknown"] += count
    return ConflictCounts(
        models=models,
        by_rule=dict(sorted(by_rule.items())),
        models_by_rule=dict(sorted(models_by_rule.items())),
        by_severity=dict(sorted(by_severity.items())),
    )
