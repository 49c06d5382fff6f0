"""Dispatch: a batch's changes become one event per watch that hears of them, with the impact (real Neo4j)."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import Driver

from crawler.observations import DeclaredLicense, Relation
from graph.changes.kinds import ChangeKind
from graph.results.recompute import load_knowledge_base, recompute_affected
from graph.watches.dispatch import dispatch_batch
from graph.watches.scope import Scope, ScopeKind
from graph.watches.store import create_watch, disable_watch, owner_of, owner_watches
from graph.writer import GraphWriter
from tests.support.observations import derived, seen

pytestmark = pytest.mark.integration

ROOT, CHILD, GRANDCHILD, OTHER = "org/base", "org/base-ft", "else/base-ft-q", "solo/unrelated"
OWNER = owner_of("k" * 40)


def _write_and_recompute(driver: Driver, observations: list[Any], batch: str, changed: list[str]) -> None:
    GraphWriter(driver).write(observations, run_id=batch)
    recompute_affected(driver, changed, batch=batch)


def _watch(driver: Driver, kind: ScopeKind, target: str, kinds: tuple[ChangeKind, ...] = (),
           webhook: str | None = None) -> str:
    return create_watch(driver, None, owner=OWNER, scope=Scope(kind, target), kinds=kinds, webhook_url=webhook,
                        secret="whsec_x" if webhook else None, limit=100).id


@pytest.fixture
def graph(clean_graph: Driver) -> Driver:
    load_knowledge_base(clean_graph)
    _write_and_recompute(clean_graph, [
        seen(ROOT, 0, declared_license=DeclaredLicense("apache-2.0")),
        seen(CHILD, 0, declared_license=DeclaredLicense("apache-2.0")), derived(CHILD, ROOT, 0),
        seen(GRANDCHILD, 0, declared_license=DeclaredLicense("apache-2.0")),
        derived(GRANDCHILD, CHILD, 0, relation=Relation.QUANTIZED),
        seen(OTHER, 0, declared_license=DeclaredLicense("mit")),
    ], "crawl-0", [ROOT, OTHER])
    dispatch_batch(clean_graph, "crawl-0")  # nobody watches yet: the changes are dispatched to no one
    return clean_graph


def test_a_relicensed_root_gives_each_matching_watch_one_event_with_its_impact(graph: Driver) -> None:
    family = _watch(graph, ScopeKind.ROOT, ROOT)
    mine = _watch(graph, ScopeKind.MODEL, GRANDCHILD)  # depends on ROOT through CHILD
    licence = _watch(graph, ScopeKind.LICENSE, "cc-by-nc-4.0")
    unrelated = _watch(graph, ScopeKind.ROOT, OTHER)
    only_added = _watch(graph, ScopeKind.ROOT, ROOT, kinds=(ChangeKind.MODEL_ADDED,))

    _write_and_recompute(graph, [seen(ROOT, 5, declared_license=DeclaredLicense("cc-by-nc-4.0"))], "sweep-1", [ROOT])
    report = dispatch_batch(graph, "sweep-1")
    by_watch = {e["watchId"]: e for e in report.events}
    assert set(by_watch) == {family, mine, licence}  # one event each; none for OTHER's family or MODEL_ADDED only
    assert unrelated not in by_watch and only_added not in by_watch

    event = by_watch[family]
    assert event["counts"]["LICENSE_CHANGED"] == 1
    first = event["changes"][0]
    assert first["kind"] == "LICENSE_CHANGED" and first["modelId"] == ROOT
    assert first["details"]["old"] == "apache-2.0" and first["details"]["new"] == "cc-by-nc-4.0"
    impact = event["impact"]
    assert impact["changedModels"] == [ROOT]
    assert impact["descendantsAffected"] == 2  # CHILD and GRANDCHILD's results changed because of ROOT
    assert impact["conflictsOpened"] >= 1
    assert any(c["modelId"] == CHILD and c["rule"] == "R17" for c in impact["opened"])
    assert impact["paths"] == []  # the root itself changed: no path to show

    path = by_watch[mine]["impact"]["paths"]
    assert path == [{"from": ROOT, "to": GRANDCHILD, "models": [ROOT, CHILD, GRANDCHILD]}]


def test_dispatching_again_stores_nothing_new(graph: Driver) -> None:
    _watch(graph, ScopeKind.ROOT, ROOT)
    _write_and_recompute(graph, [seen(ROOT, 5, declared_license=DeclaredLicense("mit"))], "sweep-2", [ROOT])
    assert len(dispatch_batch(graph, "sweep-2").events) == 1
    assert dispatch_batch(graph, "sweep-2").events == []


def test_a_family_watch_hears_of_a_derivative_that_did_not_exist_when_it_was_made(graph: Driver) -> None:
    family = _watch(graph, ScopeKind.ROOT, ROOT)
    newcomer = "third/base-ft-ft"
    _write_and_recompute(graph, [seen(newcomer, 7, declared_license=DeclaredLicense("mit")), derived(newcomer, CHILD, 7)],
                         "sweep-3", [newcomer])
    [event] = dispatch_batch(graph, "sweep-3").events
    assert event["watchId"] == family
    [added] = [c for c in event["changes"] if c["modelId"] == newcomer and c["kind"] == "MODEL_ADDED"]
    assert added["kind"] == "MODEL_ADDED" and added["details"]["parents"][0]["parent"] == CHILD
    assert event["impact"]["paths"] == [{"from": newcomer, "to": ROOT, "models": [newcomer, CHILD, ROOT]}]


def test_a_disabled_watch_hears_nothing(graph: Driver) -> None:
    family = _watch(graph, ScopeKind.ROOT, ROOT)
    disable_watch(graph, None, family, "test")
    _write_and_recompute(graph, [seen(ROOT, 5, declared_license=DeclaredLicense("mit"))], "sweep-4", [ROOT])
    assert dispatch_batch(graph, "sweep-4").events == []
    [watch] = owner_watches(graph, None, OWNER, family)
    assert not watch.enabled and watch.disabled_reason == "test"


def test_a_batch_whose_dispatch_never_came_is_found_and_old_records_are_pruned(graph: Driver) -> None:
    from graph.watches.dispatch import undispatched_batches
    from graph.watches.store import prune

    GraphWriter(graph).write([seen(OTHER, 8, declared_license=DeclaredLicense("apache-2.0"))], run_id="lost-9")
    assert "lost-9" in undispatched_batches(graph, None, older_than_s=0)
    prune(graph, None, older_than_days=1e-9)  # everything dispatched is past this retention
    kept, _, _ = graph.execute_query("MATCH (c:Change) RETURN collect(DISTINCT c.batch) AS batches")
    assert kept[0]["batches"] == ["lost-9"]  # undispatched changes are never pruned
    dispatch_batch(graph, "lost-9")
    assert "lost-9" not in undispatched_batches(graph, None, older_than_s=0)
