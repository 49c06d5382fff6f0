"""Sweeps end to end: client → Redis → real worker processes → replay hub listing → Neo4j.

What a sweep writes is compared with what ``HfApi.list_models`` lists from the same hub (the
oracle): every listed model, with its declared bases and licence, known as ``listed``.
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import redis
from huggingface_hub import HfApi
from neo4j import Driver

from hubreplay.serve import FaultConfig, ReplayServer, serve_in_thread
from hubreplay.snapshot.store import Snapshot
from tests.support.crawl import WorkerProcs, crawl_env, family, graph_fingerprint, wait_for, wait_job
from tests.support.stack import free_port
from workers.client import CrawlClient
from workers.contract import JobState
from workers.settings import WorkerSettings

pytestmark = pytest.mark.integration

PAGE = 40


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family(tmp_path_factory.mktemp("sweep-family") / "syn300", models=300, seed=11)


@pytest.fixture(scope="module")
def hub(snapshot: Path) -> Iterator[ReplayServer]:
    with serve_in_thread(snapshot, port=free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def sweep_redis(redis_url: str) -> str:
    url = redis_url.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def workers(hub: ReplayServer, sweep_redis: str, neo4j_uri: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcs]:
    env = crawl_env(sweep_redis, neo4j_uri, {hub.url: 100_000}, LINEAGE_SWEEP_PAGE_SIZE=str(PAGE),
                    LINEAGE_CRAWL_PROPAGATE="1", LINEAGE_SWEEP_EVERY_S="0",
                    LINEAGE_PROPAGATE_PAGES_OVER="50")  # a full sweep recomputes every model in pages
    procs = WorkerProcs(env, tmp_path_factory.mktemp("sweep-workers"))
    procs.start("sweep-a", concurrency=3)
    try:
        procs.wait_ready()
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def client(workers: WorkerProcs, sweep_redis: str) -> CrawlClient:
    return CrawlClient(WorkerSettings(redis_url=sweep_redis, sweep_page_size=PAGE))


def _listed(hub: ReplayServer) -> dict[str, dict[str, object]]:
    """What the hub lists, read through huggingface_hub: id → declared bases (from tags) and licence tag."""
    out: dict[str, dict[str, object]] = {}
    for info in HfApi(endpoint=hub.url, token=False).list_models(expand=["tags"]):
        tags = info.tags or []
        bases = {t.rsplit(":", 1)[-1] for t in tags if t.startswith("base_model:") and t.count(":") == 2}
        licence = next((t[len("license:"):] for t in tags if t.startswith("license:")), None)
        out[str(info.id)] = {"bases": bases, "license": licence}
    return out


def _graph_models(driver: Driver) -> dict[str, dict[str, object]]:
    records, _, _ = driver.execute_query(
        "MATCH (m:Model) WHERE m.listed_at IS NOT NULL "
        "OPTIONAL MATCH (m)-[d:DERIVED_FROM]->(p:Model) WHERE d.valid_to IS NULL "
        "RETURN m.id AS id, m.license_raw AS license, m.crawled_at IS NULL AS listed_only, collect(p.id) AS bases"
    )
    return {str(r["id"]): {"bases": set(r["bases"]), "license": r["license"], "listed_only": r["listed_only"]}
            for r in records}


def test_a_full_sweep_writes_every_listed_model_with_its_declared_lineage_in_one_request_per_page(
    client: CrawlClient, hub: ReplayServer, clean_graph: Driver
) -> None:
    expected = _listed(hub)
    hub.stats.reset()
    job_id = client.request_sweep(full=True, endpoint=hub.url)
    assert job_id is not None
    report = wait_job(client, job_id, timeout_s=180)

    assert report.state is JobState.DONE, report.to_dict()
    pages = math.ceil(len(expected) / PAGE)
    assert report.counters["pages_listed"] == pages
    assert report.counters["hub_requests"] == pages
    assert hub.stats.snapshot()["total"] == pages
    written = _graph_models(clean_graph)
    assert set(written) == set(expected)
    for model_id, facts in expected.items():
        assert facts["bases"] <= written[model_id]["bases"], model_id  # card evidence may add (kept as evidence)
        if facts["license"] is not None:
            assert written[model_id]["license"] is not None, model_id
        assert written[model_id]["listed_only"], model_id
    # the high-water mark is the newest lastModified listed, kept in the graph
    records, _, _ = clean_graph.execute_query(
        "MATCH (h:HubListing {endpoint: $e}) RETURN h.high_water AS hw, h.last_full_run AS run", e=hub.url
    )
    assert records and records[0]["run"] == job_id and records[0]["hw"] is not None
    # and the sweep ended by materialising propagation for every model, in pages over the propagation workers
    assert client.store.is_done(job_id, "propagate:000000")
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model) WHERE m.listed_at IS NOT NULL AND m.eff_commercial_status IS NULL RETURN count(m) AS n"
    )
    assert records[0]["n"] == 0


def test_an_incremental_sweep_stops_at_the_high_water_mark_and_changes_nothing_unchanged(
    client: CrawlClient, hub: ReplayServer, clean_graph: Driver
) -> None:
    first = wait_job(client, str(client.request_sweep(full=True, endpoint=hub.url)), timeout_s=180)
    assert first.state is JobState.DONE
    before = graph_fingerprint(clean_graph)
    hub.stats.reset()
    report = wait_job(client, str(client.request_sweep(endpoint=hub.url)), timeout_s=120)

    assert report.state is JobState.DONE, report.to_dict()
    # nothing changed on the hub: the newest page reaches the mark at once
    assert report.counters["hub_requests"] <= 2
    assert report.counters["models_written"] == 0
    assert graph_fingerprint(clean_graph) == before


def test_a_sweep_since_a_time_reads_only_the_pages_newer_than_it(
    client: CrawlClient, hub: ReplayServer, snapshot: Path, clean_graph: Driver
) -> None:
    stamps = sorted(
        (datetime.fromisoformat(str(entry.last_modified).replace("Z", "+00:00")) for entry in Snapshot.load(snapshot).models.values()
         if entry.last_modified), reverse=True,
    )
    since = stamps[PAGE + PAGE // 2]  # inside the second page
    report = wait_job(client, str(client.request_sweep(since=since, endpoint=hub.url)), timeout_s=120)

    assert report.state is JobState.DONE, report.to_dict()
    assert report.counters["pages_listed"] == 2
    newer = {m for m, facts in _graph_models(clean_graph).items()}
    assert len(newer) == 2 * PAGE


def test_a_sweep_survives_429_and_5xx_pages(
    client: CrawlClient, snapshot: Path, sweep_redis: str, neo4j_uri: str, tmp_path: Path, clean_graph: Driver
) -> None:
    faults = FaultConfig(seed=5, rate_429=0.2, rate_503=0.2, retry_after_s=1, routes=("models.list",))
    with serve_in_thread(snapshot, port=free_port(), faults=faults) as faulty:
        env = crawl_env(sweep_redis, neo4j_uri, {faulty.url: 100_000}, LINEAGE_SWEEP_PAGE_SIZE=str(PAGE))
        procs = WorkerProcs(env, tmp_path / "logs")
        procs.start("sweep-faulty", concurrency=2)
        try:
            procs.wait_ready()
            expected = set(_listed_without_faults(snapshot))
            report = wait_job(client, str(client.request_sweep(full=True, endpoint=faulty.url)), timeout_s=240)
        finally:
            procs.stop_all()
    assert report.state is JobState.DONE, report.to_dict()
    assert set(_graph_models(clean_graph)) == expected
    assert report.counters["hub_requests"] > report.counters["pages_listed"]  # the faults cost retries


def _listed_without_faults(snapshot: Path) -> list[str]:
    with serve_in_thread(snapshot, port=free_port()) as plain:
        return [str(info.id) for info in HfApi(endpoint=plain.url, token=False).list_models()]


def test_a_full_sweep_marks_what_the_hub_no_longer_lists_and_refuses_a_truncated_listing(
    client: CrawlClient, snapshot: Path, sweep_redis: str, neo4j_uri: str, tmp_path: Path, clean_graph: Driver
) -> None:
    port = free_port()
    ids = sorted(Snapshot.load(snapshot).models)
    gone_few = ids[:5]  # under the 5 % cap
    env = crawl_env(sweep_redis, neo4j_uri, {f"http://127.0.0.1:{port}": 100_000}, LINEAGE_SWEEP_PAGE_SIZE=str(PAGE),
                    LINEAGE_SWEEP_VERIFY_GONE="0")  # (the hub is asked about them in the next test)
    procs = WorkerProcs(env, tmp_path / "logs")
    procs.start("sweep-stale", concurrency=2)
    try:
        procs.wait_ready()
        with serve_in_thread(snapshot, port=port) as server:
            assert wait_job(client, str(client.request_sweep(full=True, endpoint=server.url)), 180).state is JobState.DONE
        with serve_in_thread(_without(snapshot, gone_few, tmp_path / "few"), port=port) as server:
            marked = wait_job(client, str(client.request_sweep(full=True, endpoint=server.url)), 180)
            wait_for(lambda: not client.store.active_jobs(), timeout_s=120)  # (a worker may verify the gone ones)
        before = graph_fingerprint(clean_graph)
        with serve_in_thread(_without(snapshot, ids[: len(ids) // 3], tmp_path / "third"), port=port) as server:
            refused = wait_job(client, str(client.request_sweep(full=True, endpoint=server.url)), 180)
    finally:
        procs.stop_all()

    assert marked.counters["marked_stale"] == len(gone_few)
    # marked stale — or, when a worker of this module asked the hub about them afterwards, found deleted
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model) WHERE m.stale OR m.status = 'deleted' AND m.listed_at IS NOT NULL RETURN m.id AS id"
    )
    assert sorted(r["id"] for r in records) == gone_few
    assert "staleness_refused" in refused.problems_by_kind
    assert graph_fingerprint(clean_graph) == before  # nothing newly marked stale


def _without(folder: Path, ids: list[str], dest: Path) -> Path:
    """A copy of the snapshot at ``folder`` whose hub no longer lists ``ids`` (as if deleted)."""
    shutil.copytree(folder, dest)
    gone = set(ids)
    for part in dest.glob("models.jsonl*"):
        opener = gzip.open if part.suffix == ".gz" else open
        with opener(part, "rt", encoding="utf-8") as handle:
            lines = [line for line in handle if json.loads(line)["id"] not in gone]
        with opener(part, "wt", encoding="utf-8") as handle:
            handle.writelines(lines)
    return dest


def _renamed(folder: Path, old: str, new: str, dest: Path) -> Path:
    """A copy of the snapshot at ``folder`` whose hub lists ``old`` as ``new`` and answers ``old`` with a 307."""
    shutil.copytree(folder, dest)
    for part in dest.glob("models.jsonl*"):
        opener = gzip.open if part.suffix == ".gz" else open
        with opener(part, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        for row in rows:
            if row["id"] == old:
                row["id"] = row["modelId"] = new
        with opener(part, "wt", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
    with (dest / "aliases.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"old": old, "new": new, "evidence": "renamed for this test"}) + "\n")
    return dest


def test_a_model_whose_id_changed_case_is_asked_for_again_and_becomes_an_alias_of_its_new_spelling(
    client: CrawlClient, snapshot: Path, sweep_redis: str, neo4j_uri: str, tmp_path: Path, clean_graph: Driver
) -> None:
    port = free_port()
    old = next(m for m in sorted(Snapshot.load(snapshot).models) if m.startswith("synthetic-org/") and m != m.lower())
    new = old.lower()
    env = crawl_env(sweep_redis, neo4j_uri, {f"http://127.0.0.1:{port}": 100_000}, LINEAGE_SWEEP_PAGE_SIZE=str(PAGE))
    procs = WorkerProcs(env, tmp_path / "logs")
    procs.start("sweep-case", concurrency=2)
    try:
        procs.wait_ready()
        with serve_in_thread(snapshot, port=port) as server:
            assert wait_job(client, str(client.request_sweep(full=True, endpoint=server.url)), 180).state is JobState.DONE
        with serve_in_thread(_renamed(snapshot, old, new, tmp_path / "renamed"), port=port) as server:
            second = wait_job(client, str(client.request_sweep(full=True, endpoint=server.url)), 180)
            assert second.counters["marked_stale"] == 1
            # the sweep's last step asked the hub about the model it no longer lists: a crawl job of its own
            wait_for(lambda: not client.store.active_jobs(), timeout_s=120)
    finally:
        procs.stop_all()
    records, _, _ = clean_graph.execute_query(
        "MATCH (a:ModelAlias {id: $old})-[:ALIAS_OF]->(m:Model) RETURN m.id AS id", old=old
    )
    assert [r["id"] for r in records] == [new]
    records, _, _ = clean_graph.execute_query("MATCH (m:Model {id: $old}) RETURN count(m) AS n", old=old)
    assert records[0]["n"] == 0  # one model, under its new spelling, with the old one as its alias
