"""Sweeps under faults, against a synthetic scale hub (cycles, merges, cards naming renamed bases):

(a) a worker SIGKILLed mid-sweep, (b) Redis restarted mid-sweep — both end with the graph of an
undisturbed sweep; (c) pages whose body cannot be parsed are reported and the sweep goes on, and a
sweep with such a gap neither marks anything stale nor moves its high-water mark; (d) after a
day of churn an incremental sweep reads a few pages and writes exactly what changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from neo4j import Driver

from hubreplay.scale.settings import ScaleSettings
from hubreplay.serve import FaultConfig, ReplayServer
from hubreplay.serve.server import serve_scale_in_thread
from lineage.stack import RedisServer, StackSettings
from tests.support.crawl import WorkerProcs, crawl_env, graph_fingerprint, wait_for, wait_job, wipe_graph
from tests.support.stack import free_port
from workers.client import CrawlClient
from workers.contract import JobState
from workers.settings import WorkerSettings
from workers.sweepjob import GAP_KINDS

pytestmark = pytest.mark.integration

MODELS = 2_500
PAGE = 100
PACE = 6.0  # listing pages per second: a sweep of the hub lasts a few seconds, long enough to disturb


@pytest.fixture(scope="module")
def scale() -> ScaleSettings:
    return ScaleSettings(kind="synthetic", models=MODELS, seed=3)


@pytest.fixture(scope="module")
def hub(scale: ScaleSettings) -> Iterator[ReplayServer]:
    with serve_scale_in_thread(scale, port=free_port()) as server:
        yield server


def _env(redis_url: str, neo4j_uri: str, hub_url: str, **extra: str) -> dict[str, str]:
    return crawl_env(redis_url, neo4j_uri, {hub_url: PACE}, LINEAGE_SWEEP_PAGE_SIZE=str(PAGE),
                     LINEAGE_SWEEP_EVERY_S="0", LINEAGE_VISIBILITY_TIMEOUT_S="6", LINEAGE_RESTORE_CHECK_S="1",
                     **extra)


@pytest.fixture(scope="module")
def undisturbed(hub: ReplayServer, redis_url: str, neo4j_uri: str, neo4j_driver: Driver,
                tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """The graph an undisturbed full sweep of the hub writes."""
    url = _db(redis_url, 8)
    procs = WorkerProcs(_env(url, neo4j_uri, hub.url), tmp_path_factory.mktemp("calm"))
    procs.start("calm-a", concurrency=3)
    try:
        procs.wait_ready()
        wipe_graph(neo4j_driver)
        client = CrawlClient(WorkerSettings(redis_url=url, sweep_page_size=PAGE))
        report = wait_job(client, str(client.request_sweep(full=True, endpoint=hub.url)), timeout_s=300)
        assert report.state is JobState.DONE and not GAP_KINDS & set(report.problems_by_kind), report.to_dict()
        assert report.problems_by_kind.get("card_tag_disagree", 0) > 0  # cards naming renamed bases: kept as facts
        assert report.counters["pages_listed"] == MODELS // PAGE
        # the cycles the hub declares across its pages are written as declared (each model names the next)
        cycles = httpx.get(f"{hub.url}/_replay/health", timeout=10).json()["cycles"]
        assert cycles
        for cycle in cycles:
            pairs = [{"child": a, "parent": b} for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True)]
            records, _, _ = neo4j_driver.execute_query(
                "UNWIND $pairs AS p MATCH (:Model {id: p.child})-[d:DERIVED_FROM]->(:Model {id: p.parent}) "
                "WHERE d.valid_to IS NULL RETURN count(d) AS n", pairs=pairs,
            )
            assert records[0]["n"] == len(cycle), cycle
        return graph_fingerprint(neo4j_driver)
    finally:
        procs.stop_all()
        wipe_graph(neo4j_driver)


def _db(redis_url: str, number: int) -> str:
    url = redis_url.rsplit("/", 1)[0] + f"/{number}"
    redis.Redis.from_url(url).flushdb()
    return url


def _same_graph(driver: Driver, expected: tuple[list[str], list[str]]) -> None:
    nodes, rels = graph_fingerprint(driver)
    for now, before in ((nodes, expected[0]), (rels, expected[1])):
        only_now, only_before = sorted(set(now) - set(before)), sorted(set(before) - set(now))
        assert (only_now, only_before) == ([], []), f"{len(only_now)} differ, e.g. {only_now[:2]} vs {only_before[:2]}"


def test_a_worker_killed_mid_sweep_leaves_the_graph_of_an_undisturbed_sweep(
    hub: ReplayServer, undisturbed: tuple[list[str], list[str]], redis_url: str, neo4j_uri: str,
    clean_graph: Driver, tmp_path: Path,
) -> None:
    url = _db(redis_url, 9)
    procs = WorkerProcs(_env(url, neo4j_uri, hub.url), tmp_path)
    procs.start("kill-a", concurrency=3)
    procs.start("kill-b", concurrency=3)
    try:
        procs.wait_ready()
        client = CrawlClient(WorkerSettings(redis_url=url, sweep_page_size=PAGE))
        job_id = str(client.request_sweep(full=True, endpoint=hub.url))
        wait_for(lambda: client.job(job_id).counters["pages_listed"] >= 6, timeout_s=120)  # type: ignore[union-attr]
        assert not client.job(job_id).finished  # type: ignore[union-attr]
        procs.kill("kill-a")  # its reserved and running tasks are never acknowledged
        procs.start("kill-a2", concurrency=3)
        report = wait_job(client, job_id, timeout_s=300)
    finally:
        procs.stop_all()
    assert report.state is JobState.DONE, report.to_dict()
    assert report.counters["pages_listed"] == MODELS // PAGE  # each page counted once, however often it ran
    _same_graph(clean_graph, undisturbed)


def test_redis_restarted_mid_sweep_the_sweep_resumes_from_its_checkpoint(
    hub: ReplayServer, undisturbed: tuple[list[str], list[str]], neo4j_uri: str, clean_graph: Driver, tmp_path: Path,
) -> None:
    server = RedisServer(StackSettings(state_dir=tmp_path / "stack", neo4j_port=free_port(), redis_port=free_port()))
    try:
        server.start()
        env = _env(server.url, neo4j_uri, hub.url, LINEAGE_CRAWL_STALL_AFTER_S="8", LINEAGE_CRAWL_RESEND_CHECK_S="2",
                   LINEAGE_REFRESH_INTERVAL_S="3600", LINEAGE_REFRESH_LISTING_PAGES="0")
        procs = WorkerProcs(env, tmp_path / "logs")
        procs.start("redis-a", concurrency=3, beat=True)
        try:
            procs.wait_ready()
            client = CrawlClient(WorkerSettings(redis_url=server.url, sweep_page_size=PAGE))
            job_id = str(client.request_sweep(full=True, endpoint=hub.url))
            wait_for(lambda: client.job(job_id).counters["pages_listed"] >= 5, timeout_s=120)  # type: ignore[union-attr]
            server.stop()
            time.sleep(3)
            server.start()
            report = wait_job(client, job_id, timeout_s=300)
        finally:
            procs.stop_all()
    finally:
        server.stop()
    assert report.state is JobState.DONE, report.to_dict()
    _same_graph(clean_graph, undisturbed)


def test_unparsable_pages_are_reported_the_sweep_goes_on_and_nothing_is_marked_on_a_gap(
    scale: ScaleSettings, redis_url: str, neo4j_uri: str, clean_graph: Driver, tmp_path: Path,
) -> None:
    faults = FaultConfig(seed=2, unparsable_rate=0.15, routes=("models.list",))
    with serve_scale_in_thread(scale, port=free_port(), faults=faults) as broken:
        url = _db(redis_url, 10)
        procs = WorkerProcs(_env(url, neo4j_uri, broken.url), tmp_path)
        procs.start("broken-a", concurrency=3)
        try:
            procs.wait_ready()
            client = CrawlClient(WorkerSettings(redis_url=url, sweep_page_size=PAGE))
            report = wait_job(client, str(client.request_sweep(full=True, endpoint=broken.url)), timeout_s=300)
        finally:
            procs.stop_all()
    assert report.state is JobState.DONE
    unreadable = report.problems_by_kind.get("page_unreadable", 0)
    assert unreadable >= 1
    assert report.counters["pages_listed"] == MODELS // PAGE  # the sweep went past every broken page
    assert report.problems_by_kind.get("sweep_incomplete") == 1
    samples = [s for s in report.problem_samples if s["kind"] == "page_unreadable"]
    assert samples and all("/api/models" in s["message"] for s in samples)  # the page's range: its URL
    records, _, _ = clean_graph.execute_query("MATCH (m:Model) WHERE m.listed_at IS NOT NULL RETURN count(m) AS n")
    assert 0 < records[0]["n"] <= MODELS - PAGE * unreadable
    records, _, _ = clean_graph.execute_query("MATCH (h:HubListing) RETURN count(h) AS n")
    assert records[0]["n"] == 0  # no high-water mark after a sweep with a gap


def test_after_a_day_of_churn_an_incremental_sweep_reads_a_few_pages_and_writes_what_changed(
    redis_url: str, neo4j_uri: str, clean_graph: Driver, tmp_path: Path,
) -> None:
    with serve_scale_in_thread(ScaleSettings(kind="synthetic", models=MODELS, seed=4), port=free_port()) as hub:
        url = _db(redis_url, 11)
        procs = WorkerProcs(_env(url, neo4j_uri, hub.url), tmp_path)
        procs.start("churn-a", concurrency=3)
        try:
            procs.wait_ready()
            client = CrawlClient(WorkerSettings(redis_url=url, sweep_page_size=PAGE))
            assert wait_job(client, str(client.request_sweep(full=True, endpoint=hub.url)), 300).state is JobState.DONE
            day = httpx.post(f"{hub.url}/_replay/changes", json={"models": 150, "seed": 1}, timeout=60).json()
            hub.stats.reset()
            report = wait_job(client, str(client.request_sweep(endpoint=hub.url)), timeout_s=300)
        finally:
            procs.stop_all()
    assert report.state is JobState.DONE, report.to_dict()
    listed_changes = sum(n for kind, n in day["applied"].items() if kind != "deleted")
    # the changed models are the newest: their pages, plus the one that reaches the mark
    assert report.counters["hub_requests"] <= listed_changes // PAGE + 2
    assert report.counters["models_written"] >= listed_changes - PAGE  # (unchanged neighbours are skipped)
    new = day["examples"]["new"]
    records, _, _ = clean_graph.execute_query(
        "UNWIND $ids AS id MATCH (m:Model {id: id}) WHERE m.listed_at IS NOT NULL RETURN count(m) AS n", ids=new
    )
    assert records[0]["n"] == len(new)
    relicensed = day["examples"].get("relicensed", [])
    if relicensed:
        records, _, _ = clean_graph.execute_query(
            "UNWIND $ids AS id MATCH (m:Model {id: id})-[d:DECLARES]->() RETURN id, count(d) AS versions",
            ids=relicensed,
        )
        assert any(r["versions"] >= 2 for r in records)  # the licence history keeps both declarations
