"""Incremental recomputation, aggregation, the materialised form and time travel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from crawler.observations import Relation
from terms.propagation import (
    RESULT_VERSION,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    PropagationEngine,
    Severity,
    affected_models,
    aggregate_conflicts,
    property_rows,
    recompute_order,
    view_as_of,
)


def m(model_id: str, license_id: str | None = None, **kw: Any) -> ModelNode:
    return ModelNode(model_id, (LicenseDeclaration(license_id),) if license_id else (), **kw)


def e(child: str, parent: str, relation: Relation = Relation.FINETUNE, **kw: Any) -> LineageEdge:
    return LineageEdge(child, parent, relation, **kw)


def family(root_licence: str) -> LineageView:
    """root -> a, root -> b, (a, b) -> merge, merge -> q (quantized), side -> other."""
    return LineageView.build(
        [m("org/root", root_licence), m("u/Llama-a", "apache-2.0"), m("u/Llama-b", "llama3.1"),
         m("u/Llama-merge", "llama3.1"), m("u/Llama-merge-GGUF"), m("side/root", "mit"), m("side/other", "mit")],
        [e("u/Llama-a", "org/root"), e("u/Llama-b", "org/root"), e("u/Llama-merge", "u/Llama-a", Relation.MERGE),
         e("u/Llama-merge", "u/Llama-b", Relation.MERGE), e("u/Llama-merge-GGUF", "u/Llama-merge", Relation.QUANTIZED),
         e("side/other", "side/root")],
    )


def test_recompute_order_is_topological_and_limited_to_descendants() -> None:
    children = family("apache-2.0").children_map
    order = recompute_order(["org/root"], children)
    assert order == ["org/root", "u/Llama-a", "u/Llama-b", "u/Llama-merge", "u/Llama-merge-GGUF"]
    assert recompute_order(["u/Llama-b"], children) == ["u/Llama-b", "u/Llama-merge", "u/Llama-merge-GGUF"]
    assert affected_models(["side/root"], children) == {"side/root", "side/other"}


def test_recompute_order_survives_cycles() -> None:
    children = {"a": ["b"], "b": ["c"], "c": ["b", "d"], "d": []}
    order = recompute_order(["a"], children)
    assert order[0] == "a" and sorted(order) == ["a", "b", "c", "d"] and len(order) == 4
    assert recompute_order(["x"], {"x": ["x"]}) == ["x"]


def test_incremental_recomputation_matches_a_full_one() -> None:
    engine = PropagationEngine()
    before = {k: v.to_properties() for k, v in engine.evaluate(family("apache-2.0")).items()}
    changed_view = family("llama3.1")
    order = recompute_order(["org/root"], changed_view.children_map)
    partial = {k: v.to_properties() for k, v in engine.evaluate(changed_view, order).items()}
    full = {k: v.to_properties() for k, v in engine.evaluate(changed_view).items()}
    assert partial == {k: full[k] for k in order}
    for untouched in set(full) - set(order):
        assert full[untouched] == before[untouched]
    assert before["u/Llama-a"]["eff_conflict_rules"] == []
    assert full["u/Llama-a"]["eff_conflict_rules"] == ["R01"]
    assert full["u/Llama-merge-GGUF"]["eff_commercial_status"] == "conditional"


def test_aggregate_over_results_and_over_materialised_properties() -> None:
    results = PropagationEngine().evaluate(family("llama3.1"))
    counts = aggregate_conflicts(results.values())
    from_props = aggregate_conflicts(row["props"] for row in property_rows(results.values()))
    assert counts == from_props
    assert counts.models == 7
    assert counts.by_rule["R01"] == 1 and counts.by_rule["G07"] == 1
    assert counts.by_severity["violation"] == sum(r.count(Severity.VIOLATION) for r in results.values())
    assert counts.by_severity["warning"] == sum(r.count(Severity.WARNING) for r in results.values())
    assert sum(counts.models_by_rule.values()) <= sum(counts.by_rule.values())


def test_properties_are_flat_versioned_stable_and_json() -> None:
    view = family("llama3.1")
    first = PropagationEngine().evaluate(view)["u/Llama-merge"].to_properties()
    second = PropagationEngine().evaluate(view)["u/Llama-merge"].to_properties()
    assert first == second
    assert first["eff_version"] == RESULT_VERSION
    for key, value in first.items():
        assert key.startswith("eff_")
        assert value is None or isinstance(value, (str, int, float, bool)) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)), key
    detail = json.loads(str(first["eff_json"]))
    assert detail["model"] == "u/Llama-merge" and detail["version"] == RESULT_VERSION
    assert detail["commercial"]["governing_license"] == "llama3.1"
    assert [lic["license"] for lic in detail["licenses"]] == ["apache-2.0", "llama3.1"]


def test_view_as_of_filters_edges_and_declarations() -> None:
    t1 = datetime(2024, 1, 1, tzinfo=UTC)
    t2 = datetime(2025, 1, 1, tzinfo=UTC)
    node = ModelNode("u/Llama-x", (LicenseDeclaration("apache-2.0", valid_to=t2),
                                   LicenseDeclaration("llama3.1", valid_from=t2)))
    view = LineageView.build([m("meta-llama/Llama-3.1-8B", "llama3.1"), node],
                             [e("u/Llama-x", "meta-llama/Llama-3.1-8B", valid_from=t1)])
    engine = PropagationEngine()
    early = engine.evaluate_one(view_as_of(view, datetime(2023, 6, 1, tzinfo=UTC)), "u/Llama-x")
    assert early.declared == ("apache-2.0",) and early.conflicts == ()
    middle = engine.evaluate_one(view_as_of(view, datetime(2024, 6, 1, tzinfo=UTC)), "u/Llama-x")
    assert [c.rule for c in middle.conflicts] == ["R01"]
    late = engine.evaluate_one(view_as_of(view, datetime(2025, 6, 1, tzinfo=UTC)), "u/Llama-x")
    assert late.declared == ("llama3.1",) and late.conflicts == ()
    assert engine.evaluate_one(view, "u/Llama-x").conflicts[0].rule == "G03"  # unfiltered: both at once
