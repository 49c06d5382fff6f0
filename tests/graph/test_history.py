"""Versions instead of overwrites: licences, gates, status, base models, renames; reads as_of."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from neo4j import Driver

from crawler.observations import (
    AliasSeen,
    DatedDeclaration,
    DeclarationHistory,
    DeclaredBase,
    DeclaredLicense,
    EvidenceKind,
    GateState,
    ModelStatus,
    Relation,
)
from graph import reads
from graph.errors import ModelNotFound, NotKnownAtInstant
from graph.history import DatedSegment, StoredVersion, plan_dated, value_at, versions
from graph.writer import GraphWriter
from hubreplay.snapshot import Snapshot, bundled_snapshot_path

from tests.support.bundled import BundledGraph
from tests.support.observations import at, count, derived, seen, snapshot, src


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


# -- versions dated by commit history (DeclarationHistory) -----------------------------------------


def _history(model_id: str, days: float, *spans: tuple[str, float, float | None, str | None]) -> DeclarationHistory:
    """A history observed at ``days``: (licence, from, to, parent) spans in commit time, oldest first."""
    versions = tuple(
        DatedDeclaration(
            revision=f"{n:040x}",
            url=f"https://hub.test/{model_id}/resolve/{n:040x}/README.md",
            valid_from=at(start),
            valid_to=None if end is None else at(end),
            declared_license=DeclaredLicense(licence),
            base_models=() if parent is None else (DeclaredBase(parent, Relation.FINETUNE),),
        )
        for n, (licence, start, end, parent) in enumerate(spans, start=1)
    )
    return DeclarationHistory(model_id, versions, src(model_id, days))


def _declares(driver: Driver, model_id: str) -> list[tuple[str, object, object]]:
    records, _, _ = driver.execute_query(
        "MATCH (:Model {id: $id})-[d:DECLARES]->(l) RETURN l.id AS l, d.valid_from AS f, d.valid_to AS t ORDER BY f",
        {"id": model_id},
    )
    return [(r["l"], r["f"].to_native(), None if r["t"] is None else r["t"].to_native()) for r in records]


@pytest.mark.integration
def test_a_commit_history_moves_valid_from_back_and_inserts_older_versions_closed(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    crawl = [seen("h/m", 10, declared_license=DeclaredLicense("llama3.1")), derived("h/m", "p/base", 10),
             _history("h/m", 10, ("apache-2.0", -60, -20, "p/base"), ("llama3.1", -20, None, "p/base"))]
    writer.write(crawl, run_id="crawl")
    # the licence in force dates from the commit that introduced it, not from the crawl (day 10)
    assert _declares(clean_graph, "h/m") == [("apache-2.0", at(-60), at(-20)), ("llama3.1", at(-20), None)]
    assert reads.model(clean_graph, "h/m", as_of=at(-30)).declared_license == "apache-2.0"
    assert reads.model(clean_graph, "h/m", as_of=at(0)).declared_license == "llama3.1"
    with pytest.raises(ModelNotFound):  # before its first commit the model is not known to exist
        reads.model(clean_graph, "h/m", as_of=at(-61))
    assert reads.model(clean_graph, "h/m", as_of=at(-30)).status is ModelStatus.AVAILABLE  # its commits prove it
    # the base model is dated by the first card that named it; observation times stay as observed
    records, _, _ = clean_graph.execute_query(
        "MATCH (:Model {id: 'h/m'})-[d:DERIVED_FROM]->(:Model {id: 'p/base'}) "
        "RETURN d.valid_from AS f, d.valid_to AS t, d.first_seen AS seen, d.dated_revision AS rev"
    )
    assert [(r["f"].to_native(), r["t"], r["seen"].to_native()) for r in records] == [(at(-60), None, at(10))]
    assert records[0]["rev"] == f"{1:040x}"
    assert [a.model.id for a in reads.ancestors(clean_graph, "h/m", as_of=at(-50)).ancestors] == ["p/base"]
    # the inserted version keeps where it was read and when it was observed
    records, _, _ = clean_graph.execute_query(
        "MATCH (:Model {id: 'h/m'})-[d:DECLARES]->(:License {id: 'apache-2.0'}) "
        "RETURN d.revision AS rev, d.source_url AS url, d.observed_at AS seen"
    )
    assert records[0]["rev"] == f"{1:040x}" and records[0]["url"].endswith("/README.md")
    assert records[0]["seen"].to_native() == at(10)

    before = snapshot(clean_graph)
    writer.write(crawl, run_id="crawl")  # the same history again changes nothing
    assert snapshot(clean_graph) == before


@pytest.mark.integration
def test_a_late_observation_does_not_reorder_a_history_dated_by_commits(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("h/late", 10, declared_license=DeclaredLicense("llama3.1")),
                  _history("h/late", 10, ("apache-2.0", -60, -20, None), ("llama3.1", -20, None, None))], run_id="r1")
    # observed at day 0 (after the llama3.1 commit, before the crawl that saw it), delivered late
    writer.write([seen("h/late", 0, declared_license=DeclaredLicense("apache-2.0"), status=ModelStatus.GATED)],
                 run_id="r-late")
    assert _declares(clean_graph, "h/late") == [("apache-2.0", at(-60), at(-20)), ("llama3.1", at(-20), None)]
    later = reads.model(clean_graph, "h/late", as_of=at(5))
    assert (later.declared_license, later.status) == ("llama3.1", ModelStatus.AVAILABLE)
    # a later history that disagrees with what was observed after it cannot rewrite that either
    writer.write([_history("h/late", 1, ("mit", -90, -10, None))], run_id="r-other")
    assert _declares(clean_graph, "h/late") == [("apache-2.0", at(-60), at(-20)), ("llama3.1", at(-20), None)]
    # a real change observed after the crawl still closes the open version, at the observation
    writer.write([seen("h/late", 20, declared_license=DeclaredLicense("mit"))], run_id="r2")
    assert _declares(clean_graph, "h/late")[-2:] == [("llama3.1", at(-20), at(20)), ("mit", at(20), None)]
    # ... and once its commit is known (day 15), both ends move back to it
    writer.write([seen("h/late", 21, declared_license=DeclaredLicense("mit")),
                  _history("h/late", 21, ("apache-2.0", -60, -20, None), ("llama3.1", -20, 15, None),
                           ("mit", 15, None, None))], run_id="r3")
    assert _declares(clean_graph, "h/late") == [
        ("apache-2.0", at(-60), at(-20)), ("llama3.1", at(-20), at(15)), ("mit", at(15), None)
    ]


def test_plan_dated_applies_each_segment_once() -> None:
    stored = [StoredVersion("e1", "llama3.1", at(10), None)]
    segments = [DatedSegment("apache-2.0", at(-60), at(-20), "r1", "u1"), DatedSegment("llama3.1", at(-20), None, "r2", "u2")]
    plan = plan_dated(stored, segments)
    assert {k: v[0] for k, v in plan.moves.items()} == {"e1": at(-20)}
    assert [(s.target, s.valid_from, s.valid_to) for s in plan.inserts] == [("apache-2.0", at(-60), at(-20))]
    applied = [StoredVersion("e1", "llama3.1", at(-20), None), StoredVersion("e2", "apache-2.0", at(-60), at(-20))]
    assert not plan_dated(applied, segments)
    # a history never opens a version of its own
    assert not plan_dated([], [DatedSegment("mit", at(0), None, "r", "u")])


ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"


@pytest.mark.integration
def test_the_bundled_graph_answers_zephyr_before_its_first_crawl(bundled_graph: BundledGraph) -> None:
    """The snapshot records no commit list for zephyr-7b-beta, so the replay hub answers its head commit
    dated ``lastModified`` (2024-10-16T11:48:13Z): the card's licence (mit) and base model hold from
    then. 2025-01-01 is after that commit and long before any crawl. A day before the commit nothing
    dated is known of it (createdAt says the repo existed, not what it declared): "not known before"
    the commit, an error naming the instant, never an answer with no licence."""
    bundled_graph.ensure()
    entry = Snapshot.load(bundled_snapshot_path()).model(ZEPHYR)
    assert entry is not None and entry.last_modified is not None and entry.created_at is not None
    head = datetime.fromisoformat(entry.last_modified)
    asked = datetime(2025, 1, 1, tzinfo=UTC)
    assert head < asked
    driver = bundled_graph.driver
    assert reads.model(driver, ZEPHYR).first_seen > asked  # crawled long after
    at_asked = reads.model(driver, ZEPHYR, as_of=asked)
    assert at_asked.declared_license == "mit"
    assert [a.model.id for a in reads.ancestors(driver, ZEPHYR, as_of=asked).ancestors] == ["mistralai/Mistral-7B-v0.1"]
    with pytest.raises(NotKnownAtInstant) as before:
        reads.model(driver, ZEPHYR, as_of=head - timedelta(days=1))
    assert before.value.known_since == head
