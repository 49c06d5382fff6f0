"""Batched writes: idempotence, evidence, odd ids, error translation (against the real Neo4j)."""

from __future__ import annotations

import pytest
from neo4j import Driver, GraphDatabase

from crawler.observations import (
    DeclaredLicense,
    DeploymentKind,
    DeploymentSeen,
    EvidenceKind,
    FileSeen,
    GateState,
    ModelStatus,
    ProblemKind,
    ProblemSeen,
    Relation,
)
from graph import reads
from graph.errors import GraphQueryError, GraphUnavailable, translated
from graph.writer import GraphWriter

from tests.support.observations import count, derived, seen, snapshot, src

pytestmark = pytest.mark.integration


def _family() -> list[object]:
    sha = "0f" * 32
    return [
        seen("meta/base", declared_license=DeclaredLicense("llama3.1"), gated=GateState.MANUAL, datasets=("ds/web",),
             downloads=10),
        seen("alice/ft", declared_license=DeclaredLicense("apache-2.0")),
        derived("alice/ft", "meta/base", kind=EvidenceKind.HUB_TAG),
        derived("alice/ft", "meta/base", kind=EvidenceKind.CARD_BASE_MODEL, detail="meta/base"),
        seen("bob/ft-GGUF"),
        derived("bob/ft-GGUF", "alice/ft", relation=Relation.QUANTIZED, kind=EvidenceKind.NAME_PATTERN, confidence=0.6),
        seen("carol/merge"),
        derived("carol/merge", "alice/ft", relation=Relation.MERGE, kind=EvidenceKind.MERGEKIT_CONFIG, confidence=0.9),
        derived("carol/merge", "other/root", relation=Relation.MERGE, kind=EvidenceKind.MERGEKIT_CONFIG, confidence=0.9),
        DeploymentSeen("space:dan/demo", DeploymentKind.SPACE, "bob/ft-GGUF", "dan", "RUNNING", "https://s", src("dan/demo")),
        FileSeen("bob/ft-GGUF", "model.Q4.gguf", 4_000, sha, src("bob/ft-GGUF")),
        ProblemSeen("carol/merge", ProblemKind.CARD_TAG_DISAGREE, "card and tags differ", src("carol/merge")),
    ]


def test_writing_the_same_observations_twice_changes_nothing(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph, batch_size=3)
    writer.write(_family(), run_id="run-1")  # type: ignore[arg-type]
    first = snapshot(clean_graph)
    writer.write(_family(), run_id="run-1")  # type: ignore[arg-type]
    assert snapshot(clean_graph) == first
    labels = {tuple(n["labels"]) for n in first[0]}
    assert {("Model",), ("Party",), ("License",), ("Dataset",), ("Deployment",), ("File",)} <= labels
    types = {r["type"] for r in first[1]}
    assert {"PUBLISHED", "DECLARES", "DERIVED_FROM", "SERVES", "OPERATES", "TRAINED_ON", "HAS_FILE"} <= types


def test_batch_size_does_not_change_the_result(clean_graph: Driver) -> None:
    GraphWriter(clean_graph, batch_size=1).write(_family(), run_id="r")  # type: ignore[arg-type]
    small = snapshot(clean_graph)
    clean_graph.execute_query("MATCH (n) DETACH DELETE n")
    GraphWriter(clean_graph, batch_size=1000).write(_family(), run_id="r")  # type: ignore[arg-type]
    assert snapshot(clean_graph) == small


def test_every_node_and_relationship_carries_its_evidence(clean_graph: Driver) -> None:
    GraphWriter(clean_graph).write(_family(), run_id="run-7")  # type: ignore[arg-type]
    missing = count(
        clean_graph,
        "MATCH (n) WHERE NOT n:Change AND (n.last_run IS NULL OR n.first_seen IS NULL OR n.last_seen IS NULL "
        "OR n.source_url IS NULL) RETURN count(n)",
    )
    assert missing == 0
    # change records cite the evidence of the fact that changed: the record the batch wrote, and when it was seen
    assert count(clean_graph, "MATCH (c:Change) RETURN count(c)") > 0
    assert count(clean_graph, "MATCH (c:Change) WHERE c.batch <> 'run-7' OR c.source_url IS NULL "
                              "OR c.observed_at IS NULL RETURN count(c)") == 0
    missing_rel = count(
        clean_graph,
        "MATCH ()-[r]->() WHERE type(r) <> 'HAS_ANCESTOR' AND (r.last_run IS NULL OR r.first_seen IS NULL "
        "OR r.last_seen IS NULL OR r.source_url IS NULL) RETURN count(r)",
    )
    assert missing_rel == 0
    assert count(clean_graph, "MATCH (m:Model {id: 'other/root'}) WHERE m.status = 'unknown' RETURN count(m)") == 1


def test_evidence_accumulates_and_a_stronger_later_piece_keeps_the_weaker(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write(
        [seen("q/m-GGUF"), derived("q/m-GGUF", "b/m", 0, Relation.QUANTIZED, EvidenceKind.NAME_PATTERN, 0.5)],
        run_id="r1",
    )
    writer.write(
        [seen("q/m-GGUF", 2), derived("q/m-GGUF", "b/m", 2, Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, 0.9)],
        run_id="r2",
    )
    writer.write(  # the first piece seen again later: widened, not duplicated
        [
            seen("q/m-GGUF", 3),
            derived("q/m-GGUF", "b/m", 3, Relation.QUANTIZED, EvidenceKind.NAME_PATTERN, 0.5),
            derived("q/m-GGUF", "b/m", 3, Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, 0.9),
        ],
        run_id="r3",
    )
    [edge] = reads.ancestors(clean_graph, "q/m-GGUF").edges
    assert sorted((e.kind, e.confidence) for e in edge.evidence) == [("gguf_metadata", 0.9), ("name_pattern", 0.5)]
    name = next(e for e in edge.evidence if e.kind == "name_pattern")
    assert (name.first_seen, name.last_seen) == (src("x", 0).observed_at, src("x", 3).observed_at)
    assert edge.confidence == 0.9 and edge.relation == "quantized" and edge.last_run == "r3"
    assert count(clean_graph, "MATCH ()-[r:DERIVED_FROM]->() RETURN count(r)") == 1


ODD_IDS = [
    "o'brien/model\"quoted\"",
    "back\\slash/m\\\\x",
    "ünïcødé/模型-🚀",
    "MATCH/DETACH DELETE n RETURN",
    "x/`backtick` } ) //",
]


def test_odd_ids_are_stored_and_found_exactly(clean_graph: Driver) -> None:
    obs: list[object] = [seen(i, declared_license=DeclaredLicense("apache-2.0")) for i in ODD_IDS]
    obs += [derived(ODD_IDS[i + 1], ODD_IDS[i]) for i in range(len(ODD_IDS) - 1)]
    GraphWriter(clean_graph, batch_size=2).write(obs, run_id="odd")  # type: ignore[arg-type]
    for model_id in ODD_IDS:
        assert reads.model(clean_graph, model_id).id == model_id
    lineage = reads.ancestors(clean_graph, ODD_IDS[-1])
    assert lineage.paths == (tuple(reversed(ODD_IDS)),)
    page = reads.descendants(clean_graph, ODD_IDS[0], limit=2)
    ids = [d.model.id for d in page.items]
    while page.next_cursor:
        page = reads.descendants(clean_graph, ODD_IDS[0], limit=2, cursor=page.next_cursor)
        ids += [d.model.id for d in page.items]
    assert ids == ODD_IDS[1:]


def test_status_unavailable_does_not_overwrite_known_facts(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("a/m", declared_license=DeclaredLicense("mit"))], run_id="r1")
    writer.write([seen("a/m", 1, status=ModelStatus.UNAVAILABLE)], run_id="r2")
    ref = reads.model(clean_graph, "a/m")
    assert (ref.status, ref.declared_license, ref.last_run) == ("available", "mit", "r1")
    writer.write([seen("n/new", 1, status=ModelStatus.UNAVAILABLE)], run_id="r2")
    assert reads.model(clean_graph, "n/new").status == "unavailable"


def test_driver_errors_are_translated_at_the_boundary(clean_graph: Driver) -> None:
    with pytest.raises(GraphQueryError) as bad:
        with translated():
            clean_graph.execute_query("MATCH (n RETURN n")
    assert bad.value.__cause__ is not None
    dead = GraphDatabase.driver("bolt://127.0.0.1:9", connection_timeout=0.5, max_transaction_retry_time=0.5)
    try:
        with pytest.raises(GraphUnavailable):
            GraphWriter(dead).write([seen("a/m")], run_id="r")
    finally:
        dead.close()


def _big_batch(n: int) -> list[object]:
    """n models in a wide tree (each model's parent is an earlier one), licences, files."""
    obs: list[object] = []
    licences = ["apache-2.0", "llama3.1", "mit", "cc-by-nc-4.0"]
    for i in range(n):
        model = f"org{i % 97}/model-{i}"
        obs.append(seen(model, declared_license=DeclaredLicense(licences[i % 4])))
        if i:
            parent = f"org{(i // 3) % 97}/model-{i // 3}"
            obs.append(derived(model, parent, relation=Relation.QUANTIZED if i % 5 == 0 else Relation.FINETUNE))
        if i % 10 == 0:
            obs.append(FileSeen(model, "w.safetensors", i, f"{i:064x}", src(model)))
    return obs


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_write_cut_by_neo4j_stopping_is_repaired_by_writing_again(tmp_path: object) -> None:
    import threading
    import time
    from pathlib import Path

    from graph.errors import GraphError
    from graph.schema import ensure_schema
    from lineage.stack import Neo4jServer, StackSettings

    from tests.support.stack import free_port

    settings = StackSettings(
        state_dir=Path(str(tmp_path)) / "stack", neo4j_port=free_port(), neo4j_heap_mb=768, neo4j_pagecache_mb=256
    )
    server = Neo4jServer(settings)
    server.start()
    driver = GraphDatabase.driver(server.url, max_transaction_retry_time=1.0, connection_timeout=2.0)
    batch = _big_batch(6000)
    try:
        ensure_schema(driver)
        failure: list[BaseException] = []

        def write() -> None:
            try:
                GraphWriter(driver, batch_size=250).write(batch, run_id="cut")  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                failure.append(exc)

        worker = threading.Thread(target=write)
        worker.start()
        probe = GraphDatabase.driver(server.url)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # wait until the write is under way, then pull the plug
                if count(probe, "MATCH ()-[d:DERIVED_FROM]->() RETURN count(d)") > 0:
                    break
                time.sleep(0.05)
        finally:
            probe.close()
        server.stop()
        worker.join(timeout=120)
        assert failure and isinstance(failure[0], GraphError), failure
        server.start()
        partial = count(driver, "MATCH ()-[d:DERIVED_FROM]->() RETURN count(d)")
        assert 0 < partial < 5999  # the cut left a half-written batch
        GraphWriter(driver, batch_size=250).write(batch, run_id="cut")  # type: ignore[arg-type]
        repaired = snapshot(driver)
        with driver.session() as session:
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        GraphWriter(driver, batch_size=250).write(batch, run_id="cut")  # type: ignore[arg-type]
        assert snapshot(driver) == repaired
        assert count(driver, "MATCH (m:Model) WHERE m.closure_dirty IS NOT NULL RETURN count(m)") == 0
    finally:
        driver.close()
        server.stop()


def test_atomic_write_gives_the_same_graph_as_batched_writes(clean_graph: Driver) -> None:
    GraphWriter(clean_graph, batch_size=2).write(_family(), run_id="r")  # type: ignore[arg-type]
    batched = snapshot(clean_graph)
    clean_graph.execute_query("MATCH (n) DETACH DELETE n")
    report = GraphWriter(clean_graph, batch_size=2).write_atomic(_family(), run_id="r")  # type: ignore[arg-type]
    assert report.transactions == 1
    assert snapshot(clean_graph) == batched


def test_a_model_named_first_as_a_parent_takes_its_own_earlier_observation(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("kid/m", 2), derived("kid/m", "base/m", 2)], run_id="r1")  # base/m: a mention at day 2
    writer.write([seen("base/m", 1, pipeline_tag="text-generation", declared_license=DeclaredLicense("mit"))], run_id="r0")  # older
    ref = reads.model(clean_graph, "base/m")
    assert (ref.status, ref.declared_license, ref.last_run) == ("available", "mit", "r0")
    assert count(clean_graph, "MATCH (m:Model {id: 'base/m'}) WHERE m.pipeline_tag = 'text-generation' "
                              "RETURN count(m)") == 1
