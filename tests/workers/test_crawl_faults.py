"""Fault tests of the crawl pipeline against real worker processes, Redis and Neo4j.

(a) a hub answering 429 (with Retry-After), 500, slowly, and with malformed cards;
(b) a worker killed with SIGKILL mid-crawl and restarted;
(c) Neo4j stopped for 30 seconds mid-crawl;
(d) Redis restarted mid-crawl, and queued messages lost.

Each job must complete with every reachable model in the graph (what one HubSource reads from a
fault-free hub), or report exactly what was lost. Families are small and the hub is held to a
shared rate so that a crawl lasts long enough to be disturbed in the middle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from neo4j import Driver

from hubreplay.serve import FaultConfig, serve_in_thread
from hubreplay.serve.faults import FaultInjector
from hubreplay.snapshot.store import Snapshot
from graph.db import sync_driver
from graph.schema import ensure_schema
from graph.settings import Neo4jSettings
from lineage.stack import Neo4jServer, RedisServer, StackSettings
from tests.support.stack import free_port
from tests.support.crawl import (
    WorkerProcs,
    available_models,
    crawl_env,
    direct_crawl,
    family,
    graph_fingerprint,
    wait_for,
    wait_job,
    wipe_graph,
)
from workers.client import CrawlClient
from workers.contract import JobState
from workers.jobs import SAMPLES_PER_KIND
from workers.settings import WorkerSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = "synthetic-org/Base-8B"
PACE = 30.0  # shared requests per second against the hub: a crawl of the small family lasts a few seconds


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family(tmp_path_factory.mktemp("faults") / "syn120", models=120, seed=5)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family(tmp_path_factory.mktemp("faults") / "syn300", models=300, seed=6)


@dataclass
class _Starting:
    """A Neo4j of the outage test's own, started in the background while the other fault tests run."""

    server: Neo4jServer
    thread: threading.Thread
    error: list[BaseException]

    def ready(self) -> Neo4jServer:
        self.thread.join(300)
        if self.error:
            raise self.error[0]
        return self.server


@pytest.fixture(scope="module")
def outage_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Starting]:
    settings = StackSettings(state_dir=tmp_path_factory.mktemp("outage-stack"), neo4j_port=free_port(),
                             redis_port=free_port(), neo4j_heap_mb=512, neo4j_pagecache_mb=128)
    server = Neo4jServer(settings)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the test that needs the server
            errors.append(exc)

    starting = _Starting(server, threading.Thread(target=start, daemon=True), errors)
    starting.thread.start()
    try:
        yield starting
    finally:
        starting.thread.join(300)
        server.stop()


def _db(redis_url: str, number: int) -> str:
    url = redis_url.rsplit("/", 1)[0] + f"/{number}"
    redis.Redis.from_url(url).flushdb()
    return url


def _expected(hub_url: str, seeds: list[str], *, up: bool, down: int) -> set[str]:
    return {m for m, status in direct_crawl(hub_url, seeds, up=up, down=down).items() if status.value == "available"}


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[list[WorkerProcs]]:
    started: list[WorkerProcs] = []
    yield started
    for group in started:
        group.stop_all()


def _workers(procs: list[WorkerProcs], env: dict[str, str], logs: Path, names: tuple[str, ...], *,
             beat: str | None = None) -> WorkerProcs:
    group = WorkerProcs(env, logs)
    procs.append(group)
    for name in names:
        group.start(name, concurrency=3, beat=name == beat)
    group.wait_ready()
    return group


def _deep_seed_with_a_malformed_card(snapshot_dir: Path) -> tuple[str, FaultConfig]:
    """A model two levels below the root with the largest subtree, and a fault seed that breaks its card."""
    snapshot = Snapshot.load(snapshot_dir)

    def subtree(model_id: str) -> int:
        todo, seen = [model_id], set()
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(snapshot.children(current))
        return len(seen)

    grandchildren = [g for c in snapshot.children(ROOT) for g in snapshot.children(c)]
    deep = max(sorted(grandchildren), key=subtree)
    for seed in range(500):
        config = FaultConfig(
            seed=seed, rate_429=0.10, retry_after_s=1, rate_500=0.05, slow_rate=0.10, slow_ms=300,
            malformed_card_rate=0.3,
        )
        if FaultInjector(config).malformed(deep) == "base_model_type":  # base_model served as an object
            return deep, config
    raise AssertionError(f"no fault seed breaks the card of {deep}")


def test_a_hub_answering_429_500_slowly_and_malformed_still_yields_every_reachable_model(
    small: Path, redis_url: str, neo4j_uri: str, clean_graph: Driver, procs: list[WorkerProcs], tmp_path: Path,
    outage_neo4j: _Starting,  # (only started here, in the background, for the Neo4j outage test)
) -> None:
    deep, faults = _deep_seed_with_a_malformed_card(small)
    seeds = [deep, ROOT]  # deep: read with model_info (its card is broken) on its way up; ROOT: the family listed
    with serve_in_thread(small) as clean_hub:
        expected = _expected(clean_hub.url, seeds, up=True, down=6)
    with serve_in_thread(small, port=free_port(), faults=faults) as hub:
        url = _db(redis_url, 6)
        _workers(procs, crawl_env(url, neo4j_uri, {hub.url: 200}), tmp_path, ("faults-a", "faults-b"))
        client = CrawlClient(WorkerSettings(redis_url=url))
        report = wait_job(client, client.request_crawl(seeds, up=True, down=6, endpoint=hub.url), timeout_s=180)
        stats = hub.stats.snapshot()

    assert report.state is JobState.DONE
    assert available_models(clean_graph) == expected
    # the faults did happen, were retried (429 after its Retry-After), and only facts remain as problems
    assert stats["by_status"].get("429", 0) > 0 and stats["by_status"].get("500", 0) > 0
    assert report.problems_by_kind.get("invalid_base_model", 0) >= 1  # the broken card, recorded as a fact
    assert not {"rate_limited", "hub_error", "unit_failed"} & set(report.problems_by_kind)
    # every request the job made is counted (the hub may see one more: see tests/crawler, limiter test)
    assert 0 <= stats["total"] - report.counters["hub_requests"] <= 1


def test_a_worker_killed_mid_crawl_leaves_the_same_graph_as_an_undisturbed_run(
    medium: Path, redis_url: str, neo4j_uri: str, clean_graph: Driver, procs: list[WorkerProcs], tmp_path: Path,
    outage_neo4j: _Starting,  # (only started here, in the background, for the Neo4j outage test)
) -> None:
    with serve_in_thread(medium, port=free_port()) as hub:
        url = _db(redis_url, 7)
        env = crawl_env(url, neo4j_uri, {hub.url: PACE}, LINEAGE_VISIBILITY_TIMEOUT_S="6", LINEAGE_RESTORE_CHECK_S="1")
        workers = _workers(procs, env, tmp_path, ("kill-a", "kill-b"))
        client = CrawlClient(WorkerSettings(redis_url=url))
        calm = wait_job(client, client.request_crawl([ROOT], up=True, down=6, endpoint=hub.url), timeout_s=180)
        undisturbed = graph_fingerprint(clean_graph)
        wipe_graph(clean_graph)

        job_id = client.request_crawl([ROOT], up=True, down=6, endpoint=hub.url)
        wait_for(lambda: client.job(job_id).counters["models_written"] >= calm.counters["models_written"] // 3,  # type: ignore[union-attr]
                 timeout_s=120)
        assert not client.job(job_id).finished  # type: ignore[union-attr]
        workers.kill("kill-a")  # mid-crawl: its reserved and running tasks are never acknowledged
        workers.start("kill-a2", concurrency=3)
        disturbed = wait_job(client, job_id, timeout_s=180)

    assert disturbed.state is JobState.DONE
    assert {k: disturbed.counters[k] for k in ("models_seen", "models_written", "problems")} == {
        k: calm.counters[k] for k in ("models_seen", "models_written", "problems")
    }
    nodes, rels = graph_fingerprint(clean_graph)
    assert len(nodes) == len(undisturbed[0]) and len(rels) == len(undisturbed[1])
    for now, before in ((nodes, undisturbed[0]), (rels, undisturbed[1])):
        only_now, only_before = sorted(set(now) - set(before)), sorted(set(before) - set(now))
        assert (only_now, only_before) == ([], []), f"{len(only_now)} differ, e.g. {only_now[:2]} vs {only_before[:2]}"


def test_neo4j_stopped_for_30_seconds_mid_crawl_the_writes_retry_and_the_job_completes(
    small: Path, redis_url: str, procs: list[WorkerProcs], tmp_path: Path, outage_neo4j: _Starting
) -> None:
    neo4j = outage_neo4j.ready()
    driver = sync_driver(Neo4jSettings(uri=neo4j.url))
    try:
        ensure_schema(driver)
        with serve_in_thread(small, port=free_port()) as hub:
            expected = _expected(hub.url, [ROOT], up=True, down=6)
            url = _db(redis_url, 8)
            env = crawl_env(url, neo4j.url, {hub.url: PACE}, LINEAGE_CRAWL_RETRY_BACKOFF_MAX_S="4",
                            LINEAGE_CRAWL_WRITE_RETRIES="40")
            _workers(procs, env, tmp_path, ("neo-a", "neo-b"))
            client = CrawlClient(WorkerSettings(redis_url=url))
            job_id = client.request_crawl([ROOT], up=True, down=6, endpoint=hub.url)
            wait_for(lambda: client.job(job_id).counters["models_written"] >= 5, timeout_s=120)  # type: ignore[union-attr]
            neo4j.stop()
            stopped_at = time.monotonic()
            time.sleep(30)
            assert not client.job(job_id).finished  # type: ignore[union-attr]  # nothing can finish without the graph
            neo4j.start()
            report = wait_job(client, job_id, timeout_s=240)
        assert time.monotonic() - stopped_at >= 30
        assert report.state is JobState.DONE
        assert "unit_failed" not in report.problems_by_kind
        assert available_models(driver) == expected
        records, _, _ = driver.execute_query("MATCH (m:Model) WHERE m.closure_dirty RETURN count(m) AS n")
        assert records[0]["n"] == 0  # the ancestry index was rebuilt once the graph was back
    finally:
        driver.close()
        neo4j.stop()


def test_redis_restarted_mid_crawl_the_job_completes_and_lost_messages_are_resent_and_reported(
    small: Path, neo4j_uri: str, clean_graph: Driver, procs: list[WorkerProcs], tmp_path: Path
) -> None:
    settings = StackSettings(state_dir=tmp_path / "stack", neo4j_port=free_port(), redis_port=free_port())
    server = RedisServer(settings)
    try:
        server.start()
        with serve_in_thread(small, port=free_port()) as hub:
            expected = _expected(hub.url, [ROOT], up=True, down=6)
            env = crawl_env(
                server.url, neo4j_uri, {hub.url: PACE}, LINEAGE_VISIBILITY_TIMEOUT_S="8",
                LINEAGE_RESTORE_CHECK_S="1", LINEAGE_CRAWL_STALL_AFTER_S="8", LINEAGE_CRAWL_RESEND_CHECK_S="2",
                LINEAGE_REFRESH_INTERVAL_S="3600", LINEAGE_REFRESH_LISTING_PAGES="0",
            )
            _workers(procs, env, tmp_path, ("redis-a", "redis-b"), beat="redis-a")
            client = CrawlClient(WorkerSettings(redis_url=server.url))

            # 1. Redis restarts (its append-only file keeps queues and job state)
            job_id = client.request_crawl([ROOT], up=True, down=6, endpoint=hub.url)
            wait_for(lambda: client.job(job_id).counters["models_written"] >= 5, timeout_s=120)  # type: ignore[union-attr]
            server.stop()
            time.sleep(3)
            server.start()
            report = wait_job(client, job_id, timeout_s=180)
            assert report.state is JobState.DONE
            assert available_models(clean_graph) == expected
            _every_resend_is_reported(report.counters["resent_units"], report.problem_samples)

            # 2. queued messages are lost (a broker that restarts without persistence): the workers stop, the
            #    queues are emptied, the workers come back; the sweep finds the stalled units and sends them again
            wipe_graph(clean_graph)
            job_id = client.request_crawl([ROOT], up=True, down=6, endpoint=hub.url)
            wait_for(lambda: client.job(job_id).counters["models_seen"] >= 5, timeout_s=120)  # type: ignore[union-attr]
            group = procs[-1]
            group.stop_all()
            broker = redis.Redis.from_url(server.url)
            assert broker.delete("hub", "graph", "unacked", "unacked_index") > 0
            outstanding = client.job(job_id).pending  # type: ignore[union-attr]
            assert outstanding > 0
            for name in ("redis-a", "redis-b"):
                group.start(name, concurrency=3, beat=name == "redis-a")
            report = wait_job(client, job_id, timeout_s=180)
            assert report.state is JobState.DONE
            assert available_models(clean_graph) == expected
            assert report.counters["resent_units"] > 0
            _every_resend_is_reported(report.counters["resent_units"], report.problem_samples)
    finally:
        server.stop()


def _every_resend_is_reported(resent: int, samples: list[dict[str, str]]) -> None:
    reported = [s for s in samples if s["kind"] == "stalled_unit_resent"]
    assert len(reported) == min(resent, SAMPLES_PER_KIND)
    assert all(s["model_id"] for s in reported)  # each names the unit of work that was sent again
