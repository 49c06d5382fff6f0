"""Change records: each write batch and recompute records what changed, once (real Neo4j)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from neo4j import Driver

from crawler.observations import DeclaredLicense, DeploymentKind, DeploymentSeen, GateState, ModelStatus, Relation
from graph.changes.kinds import ChangeKind
from graph.results.recompute import load_knowledge_base, recompute_affected
from graph.writer import GraphWriter
from tests.support.observations import derived, seen, src

pytestmark = pytest.mark.integration

ROOT, CHILD, GRANDCHILD = "org/root", "org/root-ft", "other/root-ft-q"


def _write(driver: Driver, observations: list[Any], run: str) -> int:
    return GraphWriter(driver).write(observations, run_id=run).changes


def _changes(driver: Driver, batch: str | None = None) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (c:Change) WHERE $batch IS NULL OR c.batch = $batch "
        "RETURN c.kind AS kind, c.model_id AS model, c.details AS details, c.licenses AS licenses, "
        "c.terms AS terms, c.source_url AS url, c.batch AS batch ORDER BY c.id",
        {"batch": batch},
    )
    return [{**r.data(), "details": json.loads(r["details"])} for r in records]


def _family(days: float, root_license: str) -> list[Any]:
    return [
        seen(ROOT, days, declared_license=DeclaredLicense(root_license), gated=GateState.OPEN),
        seen(CHILD, days, declared_license=DeclaredLicense("apache-2.0")),
        derived(CHILD, ROOT, days),
        seen(GRANDCHILD, days, declared_license=DeclaredLicense("apache-2.0")),
        derived(GRANDCHILD, CHILD, days, relation=Relation.QUANTIZED),
    ]


@pytest.fixture
def family(clean_graph: Driver) -> Driver:
    load_knowledge_base(clean_graph)
    _write(clean_graph, _family(0, "apache-2.0"), "crawl-1")
    recompute_affected(clean_graph, [ROOT], batch="crawl-1")
    return clean_graph


def test_first_batch_records_each_model_added_once_with_its_licence_parents_and_evidence(family: Driver) -> None:
    changes = _changes(family, "crawl-1")
    added = {c["model"]: c for c in changes if c["kind"] == ChangeKind.MODEL_ADDED.value}
    assert set(added) == {ROOT, CHILD, GRANDCHILD}
    # a new model is one record saying what it declares, not one record per fact
    assert not [c for c in changes if c["kind"] in (ChangeKind.LICENSE_CHANGED.value, ChangeKind.DERIVATION_ADDED.value)]
    assert added[ROOT]["details"]["license"] == "apache-2.0" and added[ROOT]["details"]["parents"] == []
    assert [(p["parent"], p["relation"]) for p in added[CHILD]["details"]["parents"]] == [(ROOT, "finetune")]
    assert [(p["parent"], p["relation"]) for p in added[GRANDCHILD]["details"]["parents"]] == [(CHILD, "quantized")]
    assert added[ROOT]["details"]["knownFrom"] == "crawled"
    assert all(c["url"] == src(c["model"]).url for c in added.values())


def test_writing_the_same_batch_again_records_nothing(family: Driver) -> None:
    before = len(_changes(family))
    assert _write(family, _family(0, "apache-2.0"), "crawl-1-again") == 0
    assert recompute_affected(family, [ROOT], batch="crawl-1-again").changes == 0
    assert len(_changes(family)) == before


def test_relicensing_the_root_records_the_licence_change_and_what_it_does_downstream(family: Driver) -> None:
    _write(family, [seen(ROOT, 5, declared_license=DeclaredLicense("cc-by-nc-4.0"))], "sweep-2")
    facts = _changes(family, "sweep-2")
    assert [(c["kind"], c["model"]) for c in facts] == [(ChangeKind.LICENSE_CHANGED.value, ROOT)]
    assert facts[0]["details"]["old"] == "apache-2.0" and facts[0]["details"]["new"] == "cc-by-nc-4.0"
    assert {"apache-2.0", "cc-by-nc-4.0"} <= set(facts[0]["licenses"])

    report = recompute_affected(family, [ROOT], batch="sweep-2")
    results = [c for c in _changes(family, "sweep-2") if c["kind"] != ChangeKind.LICENSE_CHANGED.value]
    opened = {(c["model"], c["details"]["rule"]) for c in results if c["kind"] == ChangeKind.CONFLICT_OPENED.value}
    # the fine-tune declares a commercial licence over non-commercial material: R17 opens on it
    assert (CHILD, "R17") in opened
    r17 = next(c for c in results if c["kind"] == ChangeKind.CONFLICT_OPENED.value and c["model"] == CHILD
               and c["details"]["rule"] == "R17")
    assert r17["details"]["path"][0] == CHILD and r17["details"]["path"][-1] == ROOT
    assert "cc-by-nc-4.0" in r17["licenses"]
    terms = {c["model"] for c in results if c["kind"] == ChangeKind.EFFECTIVE_TERMS_CHANGED.value}
    assert ROOT in terms and CHILD in terms
    assert report.changes == len(results)

    # and back: the conflicts it opened are resolved
    _write(family, [seen(ROOT, 9, declared_license=DeclaredLicense("apache-2.0"))], "sweep-3")
    recompute_affected(family, [ROOT], batch="sweep-3")
    resolved = {(c["model"], c["details"]["rule"]) for c in _changes(family, "sweep-3")
                if c["kind"] == ChangeKind.CONFLICT_RESOLVED.value}
    assert (CHILD, "R17") in resolved


def test_gating_deleting_and_a_new_deployment_are_recorded(family: Driver) -> None:
    deployment = DeploymentSeen(id="space:someone/demo", kind=DeploymentKind.SPACE, model_id=CHILD,
                                operator="someone", status="RUNNING", url=None, source=src("someone/demo", 3))
    _write(family, [seen(ROOT, 3, gated=GateState.MANUAL, status=ModelStatus.GATED), deployment], "crawl-4")
    kinds = {(c["kind"], c["model"]) for c in _changes(family, "crawl-4")}
    assert (ChangeKind.MODEL_GATED.value, ROOT) in kinds
    assert (ChangeKind.DEPLOYMENT_ADDED.value, CHILD) in kinds

    _write(family, [seen(GRANDCHILD, 4, status=ModelStatus.DELETED)], "verify-5")
    assert {(c["kind"], c["model"]) for c in _changes(family, "verify-5")} >= {
        (ChangeKind.MODEL_DELETED.value, GRANDCHILD)}


def test_a_parent_dropped_from_the_card_closes_the_derivation(family: Driver) -> None:
    _write(family, [seen(GRANDCHILD, 6, declared_license=DeclaredLicense("apache-2.0")),
                    derived(GRANDCHILD, ROOT, 6, relation=Relation.QUANTIZED)], "crawl-6")
    kinds = {(c["kind"], c["details"].get("parent")) for c in _changes(family, "crawl-6")}
    assert (ChangeKind.DERIVATION_ADDED.value, ROOT) in kinds
    assert (ChangeKind.DERIVATION_CLOSED.value, CHILD) in kinds
