"""Staleness: unseen family members (or models a whole-hub listing no longer shows) are marked, never deleted;
too many unseen → refused. How a model is known (listed / crawled) and when."""

from __future__ import annotations

import pytest
from neo4j import Driver

from crawler.observations import KnownFrom
from graph import reads
from graph.errors import StaleRemovalRefused
from graph.reads.models import plan_facts
from graph.reads.plan import run as run_plan
from graph.staleness import mark_stale, mark_unlisted
from graph.writer import GraphWriter

from tests.support.observations import at, count, derived, seen

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


def _list(driver: Driver, run_id: str, day: float, ids: list[str]) -> None:
    GraphWriter(driver).write([seen(m, day, known_from=KnownFrom.LISTED) for m in ids], run_id=run_id)


def test_a_whole_hub_listing_marks_what_it_no_longer_lists_and_refuses_above_the_cap(clean_graph: Driver) -> None:
    everyone = [f"org/m{i:03d}" for i in range(100)]
    _list(clean_graph, "sweep-1", 0, everyone)
    started = at(1)
    _list(clean_graph, "sweep-2", 1.01, everyone[3:])  # three fewer: 3 % < 5 %
    report = mark_unlisted(clean_graph, run_id="sweep-2", started=started)
    assert (report.family_size, report.candidates, report.marked) == (100, tuple(everyone[:3]), 3)
    assert reads.model(clean_graph, "org/m000").stale and not reads.model(clean_graph, "org/m003").stale
    # a truncated listing (half the hub) changes nothing
    _list(clean_graph, "sweep-3", 2.01, everyone[50:])
    with pytest.raises(StaleRemovalRefused):
        mark_unlisted(clean_graph, run_id="sweep-3", started=at(2))
    assert count(clean_graph, "MATCH (m:Model) WHERE m.stale RETURN count(m)") == 3


def test_a_model_says_whether_it_is_known_from_a_listing_or_was_crawled(clean_graph: Driver) -> None:
    _list(clean_graph, "sweep-1", 0, ["org/listed", "org/both"])
    GraphWriter(clean_graph).write([seen("org/both", 1), derived("org/both", "org/parent", 1)], run_id="crawl-1")
    facts = run_plan(clean_graph, plan_facts(["org/listed", "org/both", "org/parent"]), None)
    assert facts["org/listed"].known_from is KnownFrom.LISTED and facts["org/listed"].crawled_at is None
    assert facts["org/both"].known_from is KnownFrom.CRAWLED
    assert facts["org/both"].listed_at == at(0) and facts["org/both"].crawled_at == at(1)
    assert facts["org/parent"].known_from is None  # only named as a parent
    # an older listing does not move the times back
    _list(clean_graph, "sweep-0", -1, ["org/both"])
    again = run_plan(clean_graph, plan_facts(["org/both"]), None)["org/both"]
    assert (again.listed_at, again.crawled_at) == (at(0), at(1))
