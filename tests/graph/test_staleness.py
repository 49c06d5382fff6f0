"""Staleness: unseen family members are marked, never deleted; too many unseen → refused."""

from __future__ import annotations

import pytest
from neo4j import Driver

from graph import reads
from graph.errors import StaleRemovalRefused
from graph.staleness import mark_stale
from graph.writer import GraphWriter

from tests.support.observations import count, derived, seen

pytestmark = pytest.mark.integration

CHILDREN = [f"kid/m{i:02d}" for i in range(30)]


def _crawl(driver: Driver, run_id: str, day: float, skip: set[str]) -> None:
    obs: list[object] = [seen("root/base", day)]
    for i, kid in enumerate(CHILDREN):
        if kid in skip:
            continue
        obs += [seen(kid, day), derived(kid, "root/base" if i < 10 else CHILDREN[i - 10], day)]
    GraphWriter(driver, batch_size=7).write(obs, run_id=run_id)  # type: ignore[arg-type]


def test_a_model_the_next_full_crawl_misses_is_marked_not_deleted(clean_graph: Driver) -> None:
    _crawl(clean_graph, "run-1", 0, skip=set())
    _crawl(clean_graph, "run-2", 1, skip={"kid/m25"})
    report = mark_stale(clean_graph, "root/base", run_id="run-2")
    assert (report.family_size, report.candidates, report.marked) == (31, ("kid/m25",), 1)
    gone = reads.model(clean_graph, "kid/m25")
    assert gone.stale and gone.status == "available"
    assert not reads.model(clean_graph, "kid/m24").stale
    assert count(clean_graph, "MATCH (m:Model) RETURN count(m)") == 31
    # seen again: the mark goes away
    _crawl(clean_graph, "run-3", 2, skip=set())
    assert not reads.model(clean_graph, "kid/m25").stale


def test_refuses_when_more_than_the_allowed_share_would_go(clean_graph: Driver) -> None:
    _crawl(clean_graph, "run-1", 0, skip=set())
    _crawl(clean_graph, "run-2", 1, skip={"kid/m10", "kid/m11"})  # 2 of 31 = 6.5 % > 5 %
    with pytest.raises(StaleRemovalRefused) as refused:
        mark_stale(clean_graph, "root/base", run_id="run-2")
    assert (refused.value.would_go, refused.value.total) == (2, 31)
    assert count(clean_graph, "MATCH (m:Model) WHERE m.stale IS NOT NULL RETURN count(m)") == 0
    dry = mark_stale(clean_graph, "root/base", run_id="run-2", max_share=0.10, dry_run=True)
    assert dry.candidates == ("kid/m10", "kid/m11") and dry.marked == 0
    assert count(clean_graph, "MATCH (m:Model) WHERE m.stale IS NOT NULL RETURN count(m)") == 0
    assert mark_stale(clean_graph, "root/base", run_id="run-2", max_share=0.10).marked == 2
