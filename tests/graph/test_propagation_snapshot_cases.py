"""The engine on real models of the bundled snapshot, crawled into the graph (``bundled_graph``).

Each case is read back from the graph as the engine's input (``load_lineage_view``), so the
crawl, the writer and the reader are exercised with the engine:

* reference stubs (records with only id/author/modelId/private: never fetched) have a licence
  that was *not recorded* (G09, ``unknown``), not "none" (G07);
* two spellings of one id (a fetched record and a stub naming it) keep the fetched record and
  its licence;
* naming rules come from the material a model carries, not from a mislabelled declaration;
* a quantization that declares no licence on Llama weights is a violation (R23), as severe as
  one that declares the wrong Llama licence.
"""

from __future__ import annotations

import gzip
import json

import pytest
from neo4j import Driver

from graph.results.engine_input import load_lineage_view
from hubreplay.snapshot import bundled_snapshot_path
from terms.propagation import PropagationEngine, PropagationResult, Role, Severity
from tests.support.bundled import BundledGraph

pytestmark = pytest.mark.integration

STUBS = ("01-ai/Yi-Coder-9B", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
STUB_CHILD = "01-ai/Yi-Coder-9B-Chat"
YI_FETCHED, YI_STUB = "01-ai/Yi-1.5-34B-32K", "01-ai/Yi-1.5-34B-32k"
YI_CHILD = "cognitivecomputations/dolphin-2.9.3-Yi-1.5-34B-32k"
HERMES = "NousResearch/Hermes-3-Llama-3.1-8B"
RELABELLED_QUANT = "modularai/llama-3.1"
UNDECLARED_QUANT = "QuantFactory/Meta-Llama-3.1-8B-GGUF"


def _records(*ids: str) -> dict[str, dict[str, object]]:
    wanted = set(ids)
    out = {}
    with gzip.open(bundled_snapshot_path() / "models.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["id"] in wanted:
                out[str(row["id"])] = row
    return out


def _evaluate(driver: Driver, *ids: str) -> dict[str, PropagationResult]:
    loaded = load_lineage_view(driver, ids)
    return PropagationEngine().evaluate(loaded.view, ids)


def _conflicts(result: PropagationResult) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return sorted((c.rule, c.severity.value, [(s.model_id, s.license_id) for s in c.path]) for c in result.conflicts)


@pytest.fixture(scope="module")
def graph(bundled_graph: BundledGraph, neo4j_driver: Driver) -> Driver:
    bundled_graph.ensure()
    return neo4j_driver


def test_the_snapshot_holds_these_models_as_stubs() -> None:
    records = _records(*STUBS, YI_FETCHED, YI_STUB)
    for model_id in (*STUBS, YI_STUB):
        assert set(records[model_id]) == {"id", "modelId", "author", "private"}  # never fetched
    assert "license:apache-2.0" in records[YI_FETCHED]["tags"]  # type: ignore[operator]


@pytest.mark.parametrize("model_id", STUBS)
def test_a_stub_has_its_licence_not_recorded_rather_than_none(graph: Driver, model_id: str) -> None:
    r = _evaluate(graph, model_id)[model_id]
    assert _conflicts(r) == [("G09", "warning", [(model_id, "unknown")])]
    assert "G07" not in {c.rule for c in r.conflicts}
    assert r.declared == ("unknown",)
    assert r.unknown_parts == (f"{model_id}: licence not recorded (the model was never fetched); "
                               "parent not recorded — the model's own record was never fetched",)


def test_a_child_of_a_stub_inherits_an_unknown_part_not_a_missing_licence(graph: Driver) -> None:
    r = _evaluate(graph, STUB_CHILD)[STUB_CHILD]
    assert _conflicts(r) == [("G06", "warning", [(STUB_CHILD, "apache-2.0"), (STUBS[0], "unknown")])]
    assert "not recorded" in r.conflicts[0].message and "declares no licence" not in r.conflicts[0].message


def test_a_fetched_record_without_a_licence_is_still_g07(graph: Driver) -> None:
    record = _records(UNDECLARED_QUANT)[UNDECLARED_QUANT]
    assert record["tags"] == [] and "cardData" not in record  # fetched: its tags say no licence
    r = _evaluate(graph, UNDECLARED_QUANT)[UNDECLARED_QUANT]
    assert ("G07", "warning", [(UNDECLARED_QUANT, "none")]) in _conflicts(r)


def test_case_twins_keep_the_fetched_record_and_its_licence(graph: Driver) -> None:
    rows, _, _ = graph.execute_query(
        "MATCH (m:Model) WHERE m.search_id = $key RETURN m.id AS id, m.declared_license AS lic, m.aliases AS aliases",
        {"key": YI_FETCHED.lower()},
    )
    assert [(r["id"], r["lic"], r["aliases"]) for r in rows] == [(YI_FETCHED, "apache-2.0", [YI_STUB])]
    results = _evaluate(graph, YI_FETCHED, YI_CHILD)
    assert results[YI_FETCHED].declared == ("apache-2.0",) and results[YI_FETCHED].conflicts == ()
    child = results[YI_CHILD]
    assert child.conflicts == () and child.unknown_parts == ()
    assert [(lic.license_id, lic.scope.value) for lic in child.licenses] == [("apache-2.0", "full")]


def test_a_mislabelled_llama_version_does_not_bring_its_own_naming_rule(graph: Driver) -> None:
    r = _evaluate(graph, HERMES)[HERMES]
    path = [(HERMES, "llama3"), ("meta-llama/Llama-3.1-8B", "llama3.1")]
    assert _conflicts(r) == [("R02", "violation", path), ("R25", "warning", path)]
    (naming,) = [c for c in r.conflicts if c.rule == "R02"]
    assert "llama3.1" in naming.message and '"Llama 3"' not in naming.message


def test_duties_are_listed_once_per_family_from_the_inherited_licence(graph: Driver) -> None:
    loaded = load_lineage_view(graph, [HERMES])
    chain = PropagationEngine().run(loaded.view).responsibility_chain(HERMES)
    (me,) = [s for s in chain if s.model_id == HERMES and s.role is Role.FINE_TUNER]
    texts = [o.text for o in me.obligations]
    displays = [t for t in texts if t.startswith("Display")]
    assert displays == ['Display "Built with Llama".']  # not also "Built with Meta Llama 3"
    naming = [o for o in me.obligations if o.id.startswith("naming:")]
    assert [o.license_id for o in naming] == ["llama3.1"]
    assert len(texts) == len(set(texts))


def test_undeclared_quantization_is_as_severe_as_a_relabelled_one(graph: Driver) -> None:
    results = _evaluate(graph, RELABELLED_QUANT, UNDECLARED_QUANT)
    relabelled, undeclared = results[RELABELLED_QUANT], results[UNDECLARED_QUANT]
    assert [(c.rule, c.severity) for c in relabelled.conflicts] == [("R23", Severity.VIOLATION)]
    assert _conflicts(undeclared) == [
        ("G07", "warning", [(UNDECLARED_QUANT, "none")]),
        ("R23", "violation", [(UNDECLARED_QUANT, "none"), ("meta-llama/Llama-3.1-8B", "llama3.1")]),
    ]
    (r23,) = [c for c in undeclared.conflicts if c.rule == "R23"]
    assert "a copy of the agreement" in r23.message and "Notice file" in r23.message
    assert [(lic.license_id, lic.scope.value) for lic in undeclared.licenses] == [("llama3.1", "full")]


def test_the_undeclared_quantizations_parent_is_known_from_its_card(graph: Driver) -> None:
    rows, _, _ = graph.execute_query(
        "MATCH (:Model {id: $id})-[r:DERIVED_FROM]->(p:Model) RETURN p.id AS parent, r.relation AS relation, "
        "r.confidence AS confidence",
        {"id": UNDECLARED_QUANT},
    )
    assert [(r["parent"], r["relation"]) for r in rows] == [("meta-llama/Llama-3.1-8B", "quantized")]
    assert rows[0]["confidence"] < 1.0  # inferred from the card text, not declared by a tag
