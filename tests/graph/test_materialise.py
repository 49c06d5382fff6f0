"""Propagation results materialised on the graph: stored = engine, incremental recompute, as_of, bad input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from neo4j import Driver

from crawler.observations import DeclaredLicense, ModelSeen, Relation
from terms.propagation import (
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    Party,
    PropagationEngine,
    PropagationResult,
    aggregate_conflicts,
)
from graph.results.aggregates import family_aggregate, reach, relicensing_points
from graph.results.engine_input import load_descendants, load_lineage_view
from graph.results.recompute import (
    EFF_KEYS,
    materialise,
    recompute_affected,
    stale_models,
)
from graph.results.read import compute_results, stored_results
from graph.writer import GraphWriter

from tests.support.observations import at, derived, seen

LLAMA = "meta-llama/Llama-3.1-8B"
INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_GGUF = "bartowski/Llama-3.1-8B-Instruct-GGUF"
COOL = "acme/cool-chat"
LORA = "acme/cool-chat-lora"
MISTRAL = "mistralai/Mistral-7B-v0.1"
ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"
ZEPHYR_GGUF = "TheBloke/zephyr-7b-beta-GGUF"
MERGE = "merger/zephyr-cool-merge"
ORPHAN = "orphan/thing"
GHOST = "ghost/never-crawled"
CYC_A, CYC_B = "cyc/a", "cyc/b"

# (id, licence, [(parent, relation)])
FAMILY: list[tuple[str, str | None, list[tuple[str, Relation]]]] = [
    (LLAMA, "llama3.1", []),
    (INSTRUCT, "llama3.1", [(LLAMA, Relation.FINETUNE)]),
    (LLAMA_GGUF, "llama3.1", [(INSTRUCT, Relation.QUANTIZED)]),
    (COOL, "apache-2.0", [(INSTRUCT, Relation.FINETUNE)]),
    (LORA, None, [(COOL, Relation.ADAPTER)]),
    (MISTRAL, "apache-2.0", []),
    (ZEPHYR, "mit", [(MISTRAL, Relation.FINETUNE)]),
    (ZEPHYR_GGUF, "mit", [(ZEPHYR, Relation.QUANTIZED)]),
    (MERGE, "apache-2.0", [(ZEPHYR, Relation.MERGE), (COOL, Relation.MERGE)]),
    (ORPHAN, "mit", [(GHOST, Relation.FINETUNE)]),
    (CYC_A, "apache-2.0", [(CYC_B, Relation.FINETUNE)]),
    (CYC_B, "apache-2.0", [(CYC_A, Relation.FINETUNE)]),
]
MODELS = [m for m, _, _ in FAMILY]


def _observations(days: float, licences: dict[str, str | None]) -> list[Any]:
    out: list[Any] = []
    for model_id, _, parents in FAMILY:
        out.append(seen(model_id, days, author=model_id.split("/")[0], declared_license=DeclaredLicense(licences[model_id])))
        out.extend(derived(model_id, parent, days, relation) for parent, relation in parents)
    return out


def _expected_view(licences: dict[str, str | None]) -> LineageView:
    """The same family built by hand (the ghost parent is not crawled: not in the view)."""
    nodes = [
        ModelNode(model_id, (LicenseDeclaration(lic),) if lic else (), Party(model_id.split("/")[0]))
        for model_id, lic in licences.items()
    ]
    edges = [LineageEdge(m, p, r) for m, _, parents in FAMILY for p, r in parents]
    return LineageView.build(nodes, edges)


def _licences() -> dict[str, str | None]:
    return {m: lic for m, lic, _ in FAMILY}


def _stored(driver: Driver) -> dict[str, dict[str, Any]]:
    records, _, _ = driver.execute_query("MATCH (m:Model) RETURN m.id AS id, properties(m) AS p")
    return {r["id"]: r["p"] for r in records}


def _engine_props(result: PropagationResult) -> dict[str, Any]:
    return dict(result.to_properties())


def _assert_stored_equal_engine(stored: dict[str, dict[str, Any]], expected: dict[str, PropagationResult]) -> None:
    for model_id, result in expected.items():
        props = stored[model_id]
        engine = _engine_props(result)
        assert {k: props.get(k) for k in engine} == engine, model_id


@pytest.fixture
def family(clean_graph: Driver) -> Driver:
    GraphWriter(clean_graph).write(_observations(0, _licences()), run_id="crawl-1")
    return clean_graph


@pytest.mark.integration
def test_loader_reads_the_family_with_ancestors_and_leaves_out_uncrawled_parents(
    family: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_lineage_view(family, [LORA, ORPHAN])
    assert set(loaded.view.nodes) == {LORA, COOL, INSTRUCT, LLAMA, ORPHAN}
    assert loaded.left_out == {GHOST}
    assert loaded.round_trips == 4  # one per level: lora+orphan, cool+ghost, instruct, llama
    assert [(e.parent, e.relation) for e in loaded.view.parent_edges(LORA)] == [(COOL, Relation.ADAPTER)]
    assert loaded.view.nodes[COOL].declarations[0].license_id == "apache-2.0"
    back = load_lineage_view(family, [LORA], as_of=at(1))  # as of an instant: the versions themselves
    assert back.view.nodes[COOL].declarations[0].valid_from == at(0)
    assert back.view.parent_edges(COOL)[0].valid_from == at(0)
    from graph.results import engine_input as lineage_loader

    monkeypatch.setattr(lineage_loader, "CHUNK", 1)  # one statement per asked model: their families overlap
    both = load_lineage_view(family, [INSTRUCT, COOL], descendants=True)
    assert len(both.view.edges) == len(set(both.view.edges)) and both.below == {LLAMA_GGUF, LORA, MERGE}
    with_below = load_lineage_view(family, [INSTRUCT], descendants=True)
    assert with_below.below == {LLAMA_GGUF, COOL, LORA, MERGE}
    assert set(with_below.view.nodes) == {INSTRUCT, LLAMA, LLAMA_GGUF, COOL, LORA, MERGE, ZEPHYR, MISTRAL}
    # while the ancestry index awaits a rebuild, descendants are found by walking the edges
    family.execute_query("MATCH (m:Model {id: $id}) SET m.closure_dirty = true", {"id": ORPHAN})
    walked = load_lineage_view(family, [INSTRUCT], descendants=True)
    assert walked.below == with_below.below and walked.round_trips > with_below.round_trips
    assert set(walked.view.nodes) == set(with_below.view.nodes)
    assert load_descendants(family, [LLAMA]) == {INSTRUCT, LLAMA_GGUF, COOL, LORA, MERGE}
    assert load_descendants(family, [CYC_A]) == {CYC_A, CYC_B}  # a cycle leads back, and the walk stops


@pytest.mark.integration
def test_stored_properties_equal_the_engine_output(family: Driver) -> None:
    report = materialise(family, None)
    expected = PropagationEngine().evaluate(_expected_view(_licences()))
    stored = _stored(family)
    _assert_stored_equal_engine(stored, expected)
    assert report.computed == len(MODELS) and report.cleared == 1  # the ghost parent has no result
    assert not any(k.startswith("eff_") for k in stored[GHOST])
    extras = {"eff_store_version", "eff_conflict_state", "eff_rules", "eff_dropped_terms", "eff_violated_terms",
              "eff_relicensed_terms", "eff_agg_key", "eff_computed_at"}
    assert extras <= set(stored[COOL]) and extras <= set(EFF_KEYS)
    # what the store adds for aggregates
    assert stored[COOL]["eff_conflict_state"] == "violation"  # apache-2.0 on a Llama base: R01
    assert "R01" in stored[COOL]["eff_rules"]
    assert "naming:must_begin_with:llama" in stored[COOL]["eff_dropped_terms"]
    assert "naming:must_begin_with:llama" in stored[COOL]["eff_violated_terms"]
    assert "naming:must_begin_with:llama" in stored[COOL]["eff_relicensed_terms"]
    assert "eff_relicensed_terms" not in stored[MERGE]  # dropped already at its parent acme/cool-chat
    assert stored[ZEPHYR]["eff_conflict_state"] == "info"  # MIT on Apache-2.0 is allowed (R15)
    assert stored[ZEPHYR]["eff_dropped_terms"] == []
    assert stale_models(family) == []
    # the stored JSON decodes into the engine's own result
    got = stored_results(family, [COOL, MERGE, GHOST])
    assert set(got) == {COOL, MERGE}
    assert got[COOL].result() == expected[COOL] and got[MERGE].result() == expected[MERGE]
    assert not got[COOL].is_stale()


@pytest.mark.integration
def test_licence_change_recomputes_exactly_the_descendants(family: Driver) -> None:
    materialise(family, MODELS + [GHOST])
    before = _stored(family)
    GraphWriter(family).write(
        [ModelSeen(id=MISTRAL, source=seen(MISTRAL, 5).source, author="mistralai", declared_license=DeclaredLicense("cc-by-nc-4.0"))],
        run_id="crawl-2",
    )
    report = recompute_affected(family, [MISTRAL])
    assert report.written == {MISTRAL, ZEPHYR, ZEPHYR_GGUF, MERGE}
    after = _stored(family)
    touched = {m for m in MODELS if after[m]["eff_computed_at"] != before[m]["eff_computed_at"]}
    assert touched == {MISTRAL, ZEPHYR, ZEPHYR_GGUF, MERGE}
    expected = PropagationEngine().evaluate(_expected_view(_licences() | {MISTRAL: "cc-by-nc-4.0"}))
    _assert_stored_equal_engine(after, expected)
    # the change shows: MIT on a non-commercial base is now a violation (R17), and the status follows
    assert before[ZEPHYR]["eff_commercial_status"] == "allowed"
    assert after[ZEPHYR]["eff_commercial_status"] == "non_commercial"
    assert "R17" in after[ZEPHYR]["eff_rules"] and "R17" not in before[ZEPHYR]["eff_rules"]
    assert after[ZEPHYR]["eff_relicensed_terms"] == ["commercial:non_commercial"]
    assert after[LLAMA]["eff_json"] == before[LLAMA]["eff_json"]  # another family, untouched

    # as_of before the change gives the old answer, computed on the fly from the versions
    old = compute_results(family, [ZEPHYR, MERGE, MISTRAL], as_of=at(2))
    for model_id in (ZEPHYR, MERGE, MISTRAL):
        assert old[model_id].to_properties()["eff_json"] == before[model_id]["eff_json"]
    now = compute_results(family, [ZEPHYR])
    assert now[ZEPHYR].to_properties()["eff_json"] == after[ZEPHYR]["eff_json"]
    assert compute_results(family, [ZEPHYR], as_of=datetime(2020, 1, 1, tzinfo=at(0).tzinfo)) == {}


@pytest.mark.integration
def test_cycles_and_unknown_parents_do_not_crash(family: Driver) -> None:
    report = recompute_affected(family, [CYC_A, ORPHAN, GHOST])
    assert report.written == {CYC_A, CYC_B, ORPHAN}
    assert report.cleared == 1
    stored = _stored(family)
    assert "G05" in stored[CYC_A]["eff_rules"] and "G05" in stored[CYC_B]["eff_rules"]
    assert "G06" in stored[ORPHAN]["eff_rules"]
    assert recompute_affected(family, ["no/such-model"]).computed == 0


@pytest.mark.integration
def test_family_aggregates_from_materialised_results(family: Driver) -> None:
    materialise(family, None)
    agg = family_aggregate(family, LLAMA)
    assert agg is not None
    members = [INSTRUCT, LLAMA_GGUF, COOL, LORA, MERGE]
    assert agg.descendants == 5 and agg.unmaterialised == 0
    engine = PropagationEngine().evaluate(_expected_view(_licences()))
    counts = aggregate_conflicts(engine[m] for m in members)
    assert {r.rule: r.conflicts for r in agg.conflicts_by_rule} == counts.by_rule
    assert {r.rule: r.models for r in agg.conflicts_by_rule} == counts.models_by_rule
    assert dict(agg.conflicts_by_severity) == counts.by_severity
    naming = agg.term("naming:must_begin_with:llama")
    assert naming is not None
    # kept by the Llama-licensed instruct and its quantization; cool-chat, its adapter and the merge
    # are named otherwise (R02) — each descendant counted once
    assert (naming.keep, naming.drop, naming.violate) == (2, 0, 3)
    for flow in agg.term_flow:
        assert flow.reached == sum(1 for m in members if flow.term_id in engine[m].term_ids)
    assert dict(agg.by_license)["llama3.1"] == 5
    points = relicensing_points(family, LLAMA)
    assert [(p.model_id, p.downstream) for p in points] == [(COOL, 3)]
    assert points[0].parents == ((INSTRUCT, "llama3.1", "finetune"),)
    assert family_aggregate(family, "no/such-model") is None
    # graph-wide reach of a term and of a licence
    naming_reach = reach(family, term_id="naming:must_begin_with:llama")
    assert (naming_reach.models, naming_reach.keep, naming_reach.violate) == (6, 3, 3)  # the Llama root keeps it too
    assert reach(family, license_id="cc-by-nc-4.0").models == 0
    # a result made with another knowledge base is stale
    family.execute_query("MATCH (m:Model {id: $id}) SET m.eff_kb_version = 'old'", {"id": COOL})
    family.execute_query("MATCH (m:Model {id: $id}) REMOVE m.eff_store_version", {"id": LORA})
    assert stale_models(family) == sorted([COOL, LORA])


@pytest.mark.integration
def test_propagate_command_recomputes_descendants_or_everything(
    family: Driver, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from lineage.commands.propagate import propagate

    app = typer.Typer()
    app.command()(propagate)
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    runner = CliRunner()
    done = runner.invoke(app, [MISTRAL])
    assert done.exit_code == 0, done.output
    stored = _stored(family)
    assert {m for m in MODELS if "eff_version" in stored[m]} == {MISTRAL, ZEPHYR, ZEPHYR_GGUF, MERGE}
    done = runner.invoke(app, ["--all", "--local"])
    assert done.exit_code == 0, done.output
    assert "models stored" in done.output
    stored = _stored(family)
    assert all("eff_version" in stored[m] for m in MODELS)
    count, _, _ = family.execute_query("MATCH (l:License)-[:IMPOSES]->(t:Term) RETURN count(*) AS n")
    assert count[0]["n"] > 100  # the knowledge base was loaded
    refused = runner.invoke(app, [])
    assert refused.exit_code == 1
    assert runner.invoke(app, [MISTRAL, "--local"]).exit_code == 1  # --local goes with --all
