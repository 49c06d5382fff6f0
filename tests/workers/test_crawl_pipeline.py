"""The crawl pipeline end to end: client → Redis → real worker processes → replay hub → Neo4j.

A synthetic family is served by the replay hub; what the pipeline writes is compared with what
one ``HubSource`` reads directly for the same crawl (the oracle).
"""

from __future__ import annotations

import gzip
import json
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from neo4j import Driver
from typer.testing import CliRunner

from hubreplay.serve import FaultConfig, ReplayServer, serve_in_thread
from graph.reads import ancestors
from tests.support.stack import free_port
from tests.support.crawl import (
    WorkerProcs,
    available_models,
    crawl_env,
    direct_crawl,
    family,
    wait_for,
    wait_job,
)
from workers.client import CrawlClient
from workers.connections import redis_client
from workers.context import Resources
from workers.errors import InvalidCrawlRequest
from workers.contract import JobState
from workers.jobs import JobStore
from workers.scheduled_refresh import plan_refresh, start_refresh
from workers.settings import WorkerSettings

pytestmark = pytest.mark.integration

ROOT = "synthetic-org/Base-8B"
SLOW_RATE = 25.0  # requests per second allowed against the rate-limited hub


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family(tmp_path_factory.mktemp("family") / "syn150", models=150, seed=3)


@pytest.fixture(scope="module")
def hubs(snapshot: Path) -> Iterator[tuple[ReplayServer, ReplayServer]]:
    """Two replay hubs of the same family: one fast, one behind a low shared rate limit."""
    with serve_in_thread(snapshot, port=free_port()) as fast, serve_in_thread(snapshot, port=free_port()) as slow:
        yield fast, slow


@pytest.fixture(scope="module")
def pipeline_redis(redis_url: str) -> str:
    url = redis_url.rsplit("/", 1)[0] + "/5"  # a database of its own: the session worker never sees these tasks
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def workers(
    hubs: tuple[ReplayServer, ReplayServer], pipeline_redis: str, neo4j_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcs]:
    fast, slow = hubs
    env = crawl_env(pipeline_redis, neo4j_uri, {fast.url: 100_000, slow.url: SLOW_RATE},
                    LINEAGE_REFRESH_ENDPOINT=fast.url, LINEAGE_CRAWL_PROPAGATE="1")
    procs = WorkerProcs(env, tmp_path_factory.mktemp("pipeline-workers"))
    procs.start("pipe-a", concurrency=3)
    procs.start("pipe-b", concurrency=3)
    try:
        procs.wait_ready()
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def client(workers: WorkerProcs, pipeline_redis: str) -> CrawlClient:
    return CrawlClient(WorkerSettings(redis_url=pipeline_redis))


def _settings(redis_url: str, neo4j_uri: str, hub: ReplayServer, deepen_popular: int = 0) -> WorkerSettings:
    return WorkerSettings(redis_url=redis_url, refresh_endpoint=hub.url, refresh_after_s=3600, refresh_batch=20,
                          deepen_popular=deepen_popular)


def test_a_family_crawl_writes_every_model_the_hub_lists_with_few_requests(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver
) -> None:
    hub, _ = hubs
    seed = "synthetic-org/Base-8B-Instruct"
    expected = direct_crawl(hub.url, [seed], up=True, down=3)
    hub.stats.reset()
    job_id = client.request_crawl([seed], up=True, down=3, deployers=True, endpoint=hub.url)
    report = wait_job(client, job_id)

    assert report.state is JobState.DONE
    wanted = {model_id for model_id, status in expected.items() if status.value == "available"}
    assert available_models(clean_graph) == wanted
    assert report.counters["models_seen"] == len(expected)
    assert report.counters["models_written"] == len(wanted)
    # every request is counted, and listings bring many models per request
    # (the hub may see one request more than the client sent: see the crawler's limiter test)
    assert 0 <= hub.stats.snapshot()["total"] - report.counters["hub_requests"] <= 1
    # the commit histories of the models read one by one (the seed and its ancestors: one listing page each,
    # then a HEAD of an older card) are counted apart, and the listings still bring many models per request
    history = report.counters["history_requests"]
    read_one_by_one, _, _ = clean_graph.execute_query(
        "MATCH (m:Model) WHERE m.crawled_at IS NOT NULL RETURN count(m) AS n"
    )
    assert hub.stats.snapshot()["by_route"]["models.commits"] == read_one_by_one[0]["n"] > 0
    assert history >= read_one_by_one[0]["n"]
    assert report.counters["hub_requests"] - history < 0.9 * len(wanted)
    assert sum(report.problems_by_kind.values()) == report.counters["problems"]
    # the ancestry index was rebuilt at the end: a model three levels down reaches the root through it
    deepest = _a_model_at_depth(clean_graph, seed, 3)
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model {id: $m})-[k:HAS_ANCESTOR]->(r:Model {id: $root}) "
        "MATCH p = shortestPath((m)-[:DERIVED_FROM*]->(r)) RETURN k.depth AS depth, length(p) AS shortest",
        m=deepest, root=ROOT,
    )
    assert len(records) == 1 and records[0]["depth"] == records[0]["shortest"]
    assert ROOT in ancestors(clean_graph, deepest).roots
    # and the job ended by materialising licence propagation for every model it wrote
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model {status: 'available'}) WHERE m.eff_commercial_status IS NOT NULL RETURN count(m) AS n"
    )
    assert records[0]["n"] == len(wanted)


def _a_model_at_depth(driver: Driver, top: str, depth: int) -> str:
    records, _, _ = driver.execute_query(
        f"MATCH p = (m:Model)-[:DERIVED_FROM*{depth}]->(:Model {{id: $top}}) RETURN m.id AS id LIMIT 1", top=top
    )
    assert records, f"no model {depth} levels below {top}"
    return str(records[0]["id"])


def test_a_second_crawl_skips_unchanged_models_but_marks_them_seen(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver
) -> None:
    hub, _ = hubs
    first = wait_job(client, client.request_crawl([ROOT], up=False, down=2, endpoint=hub.url))
    before = _fingerprint_models(clean_graph)
    second = wait_job(client, client.request_crawl([ROOT], up=False, down=2, endpoint=hub.url))

    assert second.counters["models_seen"] == first.counters["models_seen"]
    assert second.counters["skipped_unchanged"] == second.counters["models_seen"]
    assert second.counters["models_written"] == 0
    assert _fingerprint_models(clean_graph) == before  # nothing but the seen-stamp changed
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model {status: 'available'}) RETURN count(m) AS n, count(CASE WHEN m.last_run = $run THEN 1 END) AS now",
        run=second.id,
    )
    assert records[0]["n"] == records[0]["now"] > 0  # a staleness check would not mark them
    forced = wait_job(client, client.request_crawl([ROOT], up=False, down=2, endpoint=hub.url, force=True))
    assert forced.counters["models_written"] == first.counters["models_written"]


def test_a_model_whose_base_changed_has_its_old_edge_closed(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], snapshot: Path, clean_graph: Driver,
    tmp_path: Path,
) -> None:
    hub, _ = hubs
    wait_job(client, client.request_crawl([ROOT], up=False, down=2, endpoint=hub.url))
    records, _, _ = clean_graph.execute_query(
        "MATCH (c:Model)-[d:DERIVED_FROM]->(p:Model) WHERE d.valid_to IS NULL AND c.status = 'available' "
        "WITH c, collect(p.id) AS parents WHERE size(parents) = 1 AND NOT parents[0] = $root "
        "RETURN c.id AS child, parents[0] AS parent ORDER BY child LIMIT 1",
        root=ROOT,
    )
    child, old_parent = str(records[0]["child"]), str(records[0]["parent"])
    changed = _rebased(snapshot, tmp_path / "changed", child, old_parent, ROOT)
    with serve_in_thread(changed) as moved:  # the same hub later: the child now names the root as its base
        report = wait_job(client, client.request_crawl([child], up=False, endpoint=moved.url))
    assert report.counters["models_written"] == 1
    records, _, _ = clean_graph.execute_query(
        "MATCH (:Model {id: $c})-[d:DERIVED_FROM]->(p:Model) RETURN p.id AS parent, d.valid_to IS NULL AS open",
        c=child,
    )
    assert {(r["parent"], r["open"]) for r in records} == {(old_parent, False), (ROOT, True)}


def _rebased(snapshot: Path, folder: Path, child: str, old: str, new: str) -> Path:
    """A copy of the snapshot in which ``child`` was re-based from ``old`` onto ``new`` (new sha)."""
    shutil.copytree(snapshot, folder)
    path = folder / "models.jsonl.gz"
    lines = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            model = json.loads(line)
            if model["id"] == child:
                model["tags"] = [t.replace(old, new) for t in model["tags"]]
                card = model.get("cardData") or {}
                card["base_model"] = new
                model["cardData"] = card
                model["sha"] = "f" * 40
                model["lastModified"] = "2026-01-01T00:00:00.000Z"
            lines.append(json.dumps(model))
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return folder


def _fingerprint_models(driver: Driver) -> dict[str, tuple[object, ...]]:
    records, _, _ = driver.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, m.sha AS sha, m.declared_license AS lic, m.downloads AS d"
    )
    return {str(r["id"]): (r["sha"], r["lic"], r["d"]) for r in records}


def test_a_model_reached_twice_is_crawled_once_per_job(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver
) -> None:
    hub, _ = hubs
    seeds = [ROOT, "synthetic-org/Base-8B-Instruct"]  # the second is also the root's child ...
    # ... and, as a seed, has its children listed two levels deep (one more than under the root)
    expected = {**direct_crawl(hub.url, [ROOT], up=True, down=2), **direct_crawl(hub.url, seeds[1:], up=True, down=2)}
    report = wait_job(client, client.request_crawl(seeds, up=True, down=2, endpoint=hub.url))
    assert report.counters["models_seen"] == len(expected)  # each read once, however many paths reach it
    assert available_models(clean_graph) == {m for m, s in expected.items() if s.value == "available"}


def test_one_rate_limit_is_shared_by_every_worker(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver, pipeline_redis: str
) -> None:
    _, slow = hubs
    slow.stats.reset()
    started = time.monotonic()
    report = wait_job(client, client.request_crawl([ROOT], up=False, down=3, endpoint=slow.url))
    elapsed = time.monotonic() - started
    requests = report.counters["hub_requests"]
    burst = min(int(SLOW_RATE), 200)
    assert requests > 2 * burst
    # six worker threads in two processes, yet never faster than the shared rate after the burst
    assert elapsed >= (requests - burst) / SLOW_RATE * 0.9


def test_retry_after_pauses_every_holder_of_the_shared_bucket(pipeline_redis: str, snapshot: Path) -> None:
    """A 429 seen by one source stops the other source's requests too, for the Retry-After."""
    with serve_in_thread(snapshot, faults=FaultConfig(rate_429=1.0, retry_after_s=2, routes=("models.info",))) as hub:
        settings = WorkerSettings(redis_url=pipeline_redis, hub_rate_limits={hub.url: {"rate": 1000, "burst": 100}})
        res = Resources(settings=settings, redis=redis_client(settings), jobs=JobStore(redis_client(settings)))
        first, second = res.source(hub.url), res.source(hub.url)
        policy = first.client.retry
        first.client.retry = type(policy)(max_retries=1, sleep=lambda _: None, on_rate_limited=policy.on_rate_limited)
        fetch = threading.Thread(target=lambda: list(first.iter_model(ROOT)))  # meets a 429 with Retry-After: 2
        fetch.start()
        wait_for(lambda: hub.stats.snapshot()["by_status"].get("429", 0) >= 1, timeout_s=10, interval_s=0.01)
        time.sleep(0.2)  # the answer reaches the client, which pauses the bucket
        began = time.monotonic()
        list(second.iter_children(ROOT, depth=1))  # another source: held by the shared pause, not by a 429
        assert time.monotonic() - began >= 1.2
        fetch.join(30)
        assert hub.stats.snapshot()["by_route_status"]["models.list"] == {"200": 1}
        first.close()
        second.close()


def test_a_429_met_inside_a_listing_also_pauses_every_worker(pipeline_redis: str, snapshot: Path) -> None:
    """huggingface_hub retries listings itself; the 429 it meets still pauses the shared bucket."""
    with serve_in_thread(snapshot, faults=FaultConfig(rate_429=1.0, retry_after_s=2, routes=("models.list",))) as hub:
        settings = WorkerSettings(redis_url=pipeline_redis, hub_rate_limits={hub.url: {"rate": 1000, "burst": 100}})
        res = Resources(settings=settings, redis=redis_client(settings), jobs=JobStore(redis_client(settings)))
        lister, fetcher = res.source(hub.url), res.source(hub.url)
        listing = threading.Thread(target=lambda: list(lister.iter_children(ROOT, depth=1)))
        listing.start()
        wait_for(lambda: hub.stats.snapshot()["by_status"].get("429", 0) >= 1, timeout_s=10, interval_s=0.01)
        time.sleep(0.2)
        began = time.monotonic()
        list(fetcher.iter_model(ROOT))  # another route, another source: still held by the pause
        assert time.monotonic() - began >= 1.2
        hub.set_faults(FaultConfig())  # let the listing's own retry through
        listing.join(30)
        lister.close()
        fetcher.close()
        res.close()


def test_a_cancelled_job_stops_and_still_finishes(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver
) -> None:
    _, slow = hubs
    job_id = client.request_crawl([ROOT], up=False, down=6, endpoint=slow.url)
    time.sleep(1.0)
    assert client.cancel(job_id)
    assert not client.cancel(job_id)
    report = wait_job(client, job_id, timeout_s=60)
    assert report.state is JobState.CANCELLED
    assert report.pending == 0
    full = len(direct_crawl(slow.url, [ROOT], up=False, down=6))
    assert report.counters["models_seen"] < full


def test_requests_are_validated_before_anything_is_queued(client: CrawlClient) -> None:
    with pytest.raises(InvalidCrawlRequest):
        client.request_crawl([])
    with pytest.raises(InvalidCrawlRequest):
        client.request_crawl(["not a repo id!"])
    with pytest.raises(InvalidCrawlRequest):
        client.request_crawl([ROOT], down=99)
    assert client.job("no-such-job") is None


def test_the_command_line_waits_and_prints_the_report(
    workers: WorkerProcs, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver, pipeline_redis: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import typer

    from lineage.commands.crawl import crawl

    hub, _ = hubs
    monkeypatch.setenv("REDIS_URL", pipeline_redis)
    app = typer.Typer()
    app.command()(crawl)
    result = CliRunner().invoke(app, [ROOT, "--endpoint", hub.url, "--no-up", "--down", "1", "--wait"])
    assert result.exit_code == 0, result.output
    assert "hub requests" in result.output and "done" in result.output
    job_id = result.output.split("crawl job ", 1)[1].split()[0]
    status = CliRunner().invoke(app, ["--status", job_id])
    assert status.exit_code == 0 and job_id in status.output
    refused = CliRunner().invoke(app, ["--cancel", job_id])
    assert refused.exit_code == 1  # finished jobs cannot be cancelled


def test_refresh_recrawls_changed_and_long_unseen_models_cheapest_first(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver, pipeline_redis: str,
    neo4j_uri: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub, _ = hubs
    wait_job(client, client.request_crawl([ROOT], up=False, down=1, endpoint=hub.url))
    # one model changed on the hub since (its stored sha is another), three were not seen for long
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model {status: 'available'}) RETURN m.id AS id ORDER BY id LIMIT 4"
    )
    changed, *old = [str(r["id"]) for r in records]
    clean_graph.execute_query("MATCH (m:Model {id: $id}) SET m.sha = 'stale'", id=changed)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    clean_graph.execute_query("UNWIND $ids AS id MATCH (m:Model {id: id}) SET m.last_seen = $t", ids=old, t=long_ago)
    records, _, _ = clean_graph.execute_query(
        "UNWIND $ids AS id MATCH (m:Model {id: id}) WHERE m.crawled_at IS NULL RETURN m.id AS id", ids=old
    )
    shallow = [str(r["id"]) for r in records]
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    settings = _settings(pipeline_redis, neo4j_uri, hub)
    res = Resources(settings=settings, redis=redis_client(settings), jobs=JobStore(redis_client(settings)))
    try:
        plan = plan_refresh(res)
        assert plan.changed == (changed,)
        assert set(plan.not_seen) == set(old)
        costs = _costs(clean_graph, plan.not_seen)
        assert costs == sorted(costs)  # models that declare a base (one request) before roots
        job_id = start_refresh(res)
        assert job_id is not None
        report = wait_job(client, job_id)
    finally:
        res.close()
    assert report.counters["models_seen"] == 4
    # rewritten: the changed one, and those known only from the children listing (now read in depth)
    assert report.counters["models_written"] == len({changed, *shallow})
    records, _, _ = clean_graph.execute_query("MATCH (m:Model {id: $id}) RETURN m.sha AS sha", id=changed)
    assert records[0]["sha"] not in (None, "stale")


def test_refresh_crawls_the_most_downloaded_models_known_only_from_listings_in_depth(
    client: CrawlClient, hubs: tuple[ReplayServer, ReplayServer], clean_graph: Driver, pipeline_redis: str,
    neo4j_uri: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub, _ = hubs
    wait_job(client, client.request_crawl([ROOT], up=False, down=1, endpoint=hub.url))
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model {status: 'available'}) WHERE m.listed_at IS NOT NULL AND m.crawled_at IS NULL "
        "RETURN m.id AS id ORDER BY coalesce(m.downloads, 0) DESC, id LIMIT 3"
    )
    popular = tuple(str(r["id"]) for r in records)
    assert len(popular) == 3  # the children of a crawl are known from its listing only
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    settings = _settings(pipeline_redis, neo4j_uri, hub, deepen_popular=3)
    res = Resources(settings=settings, redis=redis_client(settings), jobs=JobStore(redis_client(settings)))
    try:
        plan = plan_refresh(res)
        assert plan.shallow == popular
        report = wait_job(client, str(start_refresh(res)))
    finally:
        res.close()
    assert report.state is JobState.DONE
    records, _, _ = clean_graph.execute_query(
        "UNWIND $ids AS id MATCH (m:Model {id: id}) RETURN count(m.crawled_at) AS crawled", ids=list(popular)
    )
    assert records[0]["crawled"] == 3


def _costs(driver: Driver, ids: tuple[str, ...]) -> list[int]:
    records, _, _ = driver.execute_query(
        "UNWIND $ids AS id MATCH (m:Model {id: id}) "
        "RETURN id, CASE WHEN EXISTS { (m)-[d:DERIVED_FROM]->() WHERE d.valid_to IS NULL } THEN 1 ELSE 5 END AS c",
        ids=list(ids),
    )
    by_id = {r["id"]: r["c"] for r in records}
    return [by_id[i] for i in ids]
