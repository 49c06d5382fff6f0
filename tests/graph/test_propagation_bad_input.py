"""Bad input never crashes and is never silently guessed: unknown parts plus a warning naming the gap."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.observations import ModelStatus, Relation
from terms.propagation import (
    CommercialOutcome,
    DeclarationSource,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    PropagationEngine,
    PropagationResult,
    UnknownModelError,
)


def m(model_id: str, *licences: str, **kw: Any) -> ModelNode:
    return ModelNode(model_id, tuple(LicenseDeclaration(lic) for lic in licences), **kw)


def e(child: str, parent: str, relation: Relation = Relation.FINETUNE) -> LineageEdge:
    return LineageEdge(child, parent, relation)


def run(nodes: list[ModelNode], edges: list[LineageEdge]) -> dict[str, PropagationResult]:
    return PropagationEngine().evaluate(LineageView.build(nodes, edges))


def rules(result: PropagationResult) -> list[str]:
    return sorted(c.rule for c in result.conflicts)


def test_unrecognised_licence_id() -> None:
    res = run([m("a/base", "apache2"), m("b/child", "apache-2.0")], [e("b/child", "a/base")])
    base = res["a/base"]
    assert rules(base) == ["G01"] and "'apache2'" in base.conflicts[0].message
    assert (base.declared, base.declared_raw) == (("unknown",), ("apache2",))
    assert base.commercial.status is CommercialOutcome.UNKNOWN
    child = res["b/child"]
    assert rules(child) == ["G06"]
    assert [(s.model_id, s.license_id) for s in child.conflicts[0].path] == [("b/child", "apache-2.0"),
                                                                          ("a/base", "unknown")]
    assert (child.commercial.status, child.commercial.known_floor) == (CommercialOutcome.UNKNOWN,
                                                                       CommercialOutcome.ALLOWED)


def test_other_without_a_name_and_other_with_an_unknown_name() -> None:
    unnamed = ModelNode("a/x", (LicenseDeclaration("other"),))
    named = ModelNode("a/y", (LicenseDeclaration("other", "acme-terms"),))
    res = run([unnamed, named], [])
    assert rules(res["a/x"]) == ["G02"]
    assert rules(res["a/y"]) == ["G01"] and res["a/y"].declared_raw == ("other:acme-terms",)


def test_card_and_tag_disagree() -> None:
    node = ModelNode("a/x", (LicenseDeclaration("apache-2.0", source=DeclarationSource.CARD),
                             LicenseDeclaration("mit", source=DeclarationSource.TAG)))
    r = run([node], [])["a/x"]
    assert rules(r) == ["G03"] and "apache-2.0, mit" in r.conflicts[0].message
    assert r.declared == ("unknown",) and r.commercial.status is CommercialOutcome.UNKNOWN
    agree = ModelNode("a/y", (LicenseDeclaration("mit", source=DeclarationSource.CARD),
                              LicenseDeclaration("MIT", source=DeclarationSource.TAG)))
    assert run([agree], [])["a/y"].conflicts == ()


def test_merge_with_a_parent_missing_from_the_view() -> None:
    res = run([m("a/base", "apache-2.0"), m("x/merge", "apache-2.0")],
              [e("x/merge", "a/base", Relation.MERGE), e("x/merge", "ghost/deleted", Relation.MERGE)])
    r = res["x/merge"]
    assert rules(r) == ["G04"]
    assert "ghost/deleted" in r.conflicts[0].message and "not in the lineage view" in r.conflicts[0].message
    assert (r.commercial.status, r.commercial.known_floor) == (CommercialOutcome.UNKNOWN, CommercialOutcome.ALLOWED)
    assert r.unknown_parts == ("ghost/deleted: not in the lineage view: not crawled, deleted or renamed",)


def test_gated_parent_without_a_licence() -> None:
    res = run([m("corp/gated", status=ModelStatus.GATED), m("x/child", "mit")], [e("x/child", "corp/gated")])
    r = res["x/child"]
    assert rules(r) == ["G06"] and "status gated" in r.conflicts[0].message
    assert r.eu_ai_act.oss_exemption.value == "unknown"


def test_two_model_cycle_and_a_descendant() -> None:
    res = run([m("a/x", "apache-2.0"), m("b/y", "apache-2.0"), m("c/z", "mit")],
              [e("a/x", "b/y"), e("b/y", "a/x"), e("c/z", "a/x")])
    assert rules(res["a/x"]) == ["G05"] and rules(res["b/y"]) == ["G05"]
    assert "a/x -> b/y" in res["a/x"].conflicts[0].message
    assert res["a/x"].commercial.status is CommercialOutcome.UNKNOWN
    assert "G05" in rules(res["c/z"])


def test_self_reference() -> None:
    r = run([m("a/x", "apache-2.0")], [e("a/x", "a/x")])["a/x"]
    assert rules(r) == ["G05"]


def test_contradictory_relations_to_one_parent() -> None:
    res = run([m("a/base", "llama3.1"), m("x/child", "llama3.1")],
              [e("x/child", "a/base", Relation.QUANTIZED), e("x/child", "a/base", Relation.FINETUNE)])
    r = res["x/child"]
    assert "G08" in rules(r) and "contradictory" in next(c.message for c in r.conflicts if c.rule == "G08")
    assert r.role.value == "modifier"


def test_a_very_deep_chain_does_not_recurse() -> None:
    nodes = [m("root/base", "llama3.1")] + [m(f"u/Llama-{i}", "llama3.1") for i in range(3000)]
    edges = [e("u/Llama-0", "root/base")] + [e(f"u/Llama-{i}", f"u/Llama-{i - 1}") for i in range(1, 3000)]
    r = PropagationEngine().evaluate_one(LineageView.build(nodes, edges), "u/Llama-2999")
    assert r.conflicts == ()
    assert len(r.commercial.path) == 1  # its own declaration governs; the inherited path is longer
    assert len(next(lic for lic in r.licenses if lic.license_id == "llama3.1").path) == 1


def test_empty_view_and_unknown_model() -> None:
    engine = PropagationEngine()
    assert engine.evaluate(LineageView.build([], [])) == {}
    with pytest.raises(UnknownModelError):
        engine.evaluate_one(LineageView.build([m("a/x", "mit")], []), "nobody/none")
