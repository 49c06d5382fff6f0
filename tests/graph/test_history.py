"""Versions instead of overwrites: licences, gates, status, base models, renames; reads as_of."""

from __future__ import annotations

import pytest
from neo4j import Driver

from crawler.observations import AliasSeen, DeclaredLicense, EvidenceKind, GateState, ModelStatus
from graph import reads
from graph.errors import ModelNotFound
from graph.history import value_at, versions
from graph.writer import GraphWriter

from tests.support.observations import at, count, derived, seen, src


def test_history_lists_answer_as_of() -> None:
    values, starts = ["open", "manual", "open"], [at(0), at(5), at(9)]
    assert value_at(values, starts, at(-1)) is None
    assert value_at(values, starts, at(6)) == "manual"
    assert value_at(values, starts, None) == "open"
    assert [v.valid_to for v in versions(values, starts)] == [at(5), at(9), None]


@pytest.mark.integration
def test_licence_change_closes_the_old_declaration_and_opens_a_new_one(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("a/m", 0, declared_license=DeclaredLicense("apache-2.0"))], run_id="r1")
    writer.write([seen("a/m", 1, declared_license=DeclaredLicense("apache-2.0"))], run_id="r2")
    writer.write([seen("a/m", 4, declared_license=DeclaredLicense("cc-by-nc-4.0"))], run_id="r3")
    writer.write([seen("a/m", 4, declared_license=DeclaredLicense("cc-by-nc-4.0"))], run_id="r3")
    records, _, _ = clean_graph.execute_query(
        "MATCH (:Model {id: 'a/m'})-[d:DECLARES]->(l) RETURN l.id AS l, d.valid_from AS f, d.valid_to AS t "
        "ORDER BY f"
    )
    rows = [(r["l"], r["f"].to_native(), None if r["t"] is None else r["t"].to_native()) for r in records]
    assert rows == [("apache-2.0", at(0), at(4)), ("cc-by-nc-4.0", at(4), None)]
    assert reads.model(clean_graph, "a/m", as_of=at(2)).declared_license == "apache-2.0"
    assert reads.model(clean_graph, "a/m").declared_license == "cc-by-nc-4.0"
    # a late (redelivered) observation of the old licence does not reorder history
    writer.write([seen("a/m", 2, declared_license=DeclaredLicense("apache-2.0"))], run_id="r-late")
    assert reads.model(clean_graph, "a/m").declared_license == "cc-by-nc-4.0"
    assert count(clean_graph, "MATCH (:Model {id: 'a/m'})-[d:DECLARES]->() RETURN count(d)") == 2


@pytest.mark.integration
def test_gate_and_status_are_versioned_and_deleted_repos_keep_history(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("g/m", 0, gated=GateState.OPEN), derived("g/m", "p/base", 0)], run_id="r1")
    writer.write([seen("g/m", 3, gated=GateState.MANUAL, status=ModelStatus.GATED), derived("g/m", "p/base", 3)],
                 run_id="r2")
    writer.write([seen("g/m", 6, status=ModelStatus.DELETED)], run_id="r3")
    assert reads.model(clean_graph, "g/m", as_of=at(1)).gated == "open"
    assert reads.model(clean_graph, "g/m", as_of=at(4)).status == "gated"
    now = reads.model(clean_graph, "g/m")
    assert (now.status, now.gated) == ("deleted", "manual")
    # deletion is not a full observation: the lineage recorded before stays
    assert [a.model.id for a in reads.ancestors(clean_graph, "g/m").ancestors] == ["p/base"]
    with pytest.raises(ModelNotFound):
        reads.model(clean_graph, "g/m", as_of=at(-1))


@pytest.mark.integration
def test_base_model_gone_from_a_full_observation_is_closed_not_deleted(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("c/m", 0), derived("c/m", "old/base", 0), derived("c/m", "keep/base", 0)], run_id="r1")
    writer.write([seen("x/child", 0), derived("x/child", "c/m", 0)], run_id="r1")
    # a partial observation (not full) leaves edges alone
    writer.write([seen("c/m", 1)], run_id="r2", full_models=())
    assert len(reads.ancestors(clean_graph, "c/m").edges) == 2
    writer.write([seen("c/m", 2), derived("c/m", "keep/base", 2)], run_id="r3")
    assert [a.model.id for a in reads.ancestors(clean_graph, "c/m").ancestors] == ["keep/base"]
    assert {a.model.id for a in reads.ancestors(clean_graph, "c/m", as_of=at(1)).ancestors} == {
        "old/base",
        "keep/base",
    }
    assert count(clean_graph, "MATCH ()-[d:DERIVED_FROM]->(:Model {id: 'old/base'}) RETURN count(d)") == 1
    # the ancestry index followed: the grandchild no longer descends from old/base
    assert reads.descendants(clean_graph, "old/base").total == 0
    assert reads.descendants(clean_graph, "old/base", as_of=at(1)).total == 2
    # the base model comes back: a new version opens, the closed one stays
    writer.write([seen("c/m", 5), derived("c/m", "keep/base", 5), derived("c/m", "old/base", 5)], run_id="r4")
    records, _, _ = clean_graph.execute_query(
        "MATCH (:Model {id: 'c/m'})-[d:DERIVED_FROM]->(:Model {id: 'old/base'}) "
        "RETURN d.valid_from AS f, d.valid_to AS t ORDER BY f"
    )
    assert [(r["f"].to_native(), r["t"] and r["t"].to_native()) for r in records] == [(at(0), at(2)), (at(5), None)]
    assert reads.descendants(clean_graph, "old/base").total == 2
    assert reads.ancestors(clean_graph, "c/m", as_of=at(3)).roots == ("keep/base",)


@pytest.mark.integration
def test_rename_of_a_known_repo_keeps_history_under_the_new_id(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("meta/Meta-Llama-3.1-8B", 0, declared_license=DeclaredLicense("llama3.1"))], run_id="r1")
    writer.write([seen("u/ft", 0), derived("u/ft", "meta/Meta-Llama-3.1-8B", 0)], run_id="r1")
    writer.write([AliasSeen("meta/Meta-Llama-3.1-8B", "meta/Llama-3.1-8B", src("meta/Llama-3.1-8B", 1))], run_id="r2")
    ref = reads.model(clean_graph, "meta/Meta-Llama-3.1-8B")
    assert ref.id == "meta/Llama-3.1-8B" and ref.aliases == ("meta/Meta-Llama-3.1-8B",)
    assert ref.declared_license == "llama3.1"
    assert reads.ancestors(clean_graph, "u/ft").roots == ("meta/Llama-3.1-8B",)
    assert [d.model.id for d in reads.descendants(clean_graph, "meta/Llama-3.1-8B").items] == ["u/ft"]
    # a later card still naming the old id lands on the same node
    writer.write([seen("v/ft", 2), derived("v/ft", "meta/Meta-Llama-3.1-8B", 2, kind=EvidenceKind.CARD_BASE_MODEL)],
                 run_id="r3")
    assert count(clean_graph, "MATCH (m:Model) WHERE m.id CONTAINS 'Llama-3.1-8B' RETURN count(m)") == 1
    assert reads.descendants(clean_graph, "meta/Meta-Llama-3.1-8B").total == 2


@pytest.mark.integration
def test_rename_merges_two_known_nodes_into_one(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    # the card named the old id, the tag the new one: two nodes until the rename is seen
    writer.write(
        [
            seen("old/base", 0, declared_license=DeclaredLicense("llama3.1"), gated=GateState.OPEN),
            seen("new/base", 1, declared_license=DeclaredLicense("llama3.1"), gated=GateState.MANUAL),
            seen("a/ft", 1),
            derived("a/ft", "old/base", 1, kind=EvidenceKind.CARD_BASE_MODEL, detail="old/base"),
            derived("a/ft", "new/base", 1, kind=EvidenceKind.HUB_TAG),
            seen("b/ft", 1),
            derived("b/ft", "old/base", 1),
        ],
        run_id="r1",
    )
    writer.write([AliasSeen("old/base", "new/base", src("new/base", 2))], run_id="r2")
    writer.write([AliasSeen("old/base", "new/base", src("new/base", 2))], run_id="r2")  # idempotent
    assert count(clean_graph, "MATCH (m:Model) WHERE m.id IN ['old/base', 'new/base'] RETURN count(m)") == 1
    [edge] = reads.ancestors(clean_graph, "a/ft").edges
    assert edge.parent == "new/base"
    assert sorted(e.kind for e in edge.evidence) == ["card_base_model", "hub_tag"]
    assert count(clean_graph, "MATCH (:Model {id: 'new/base'})-[d:DECLARES]->() WHERE d.valid_to IS NULL "
                              "RETURN count(d)") == 1
    merged = reads.model(clean_graph, "old/base")
    assert merged.id == "new/base" and merged.gated == "manual"
    assert reads.model(clean_graph, "old/base", as_of=at(0.5)).gated == "open"
    assert {d.model.id for d in reads.descendants(clean_graph, "new/base").items} == {"a/ft", "b/ft"}
