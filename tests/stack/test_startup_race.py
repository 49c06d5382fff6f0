"""Start-up never deadlocks: the API and a crawl started at the same moment on a fresh database both finish.

Each round empties a Neo4j of this module's own (data, constraints and indexes), then starts at
the same moment a real API process (uvicorn) and a crawl job for a running Celery worker (a small
family from the replay hub) — after ``migrate`` as the fixtures, ``dev up`` and the demo do, or
with ``migrate`` running concurrently, or without it. Each time the API must answer /healthz and
a GraphQL query, the crawl must complete, and the API must stop on SIGTERM, all within bounds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from neo4j import Driver

from hubreplay.serve import ReplayServer, serve_in_thread
from graph.db import sync_driver
from graph.schema import SCHEMA, migrate, missing_schema
from graph.settings import Neo4jSettings
from lineage.stack import Neo4jServer, StackSettings
from tests.support.stack import free_port
from tests.support.crawl import WorkerProcs, crawl_env, family, wait_job
from workers.client import CrawlClient
from workers.contract import JobState
from workers.settings import WorkerSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED = "synthetic-org/Base-8B-Instruct"
ROUND_BOUND_S = 60.0  # API answering and crawl done; a deadlock would hold both for good
STOP_BOUND_S = 10.0
LOCK_TIMEOUT_S = 20
TRANSACTION_TIMEOUT_S = 50
WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
QUERY = {"query": "{ models(first: 1) { totalCount } }"}


@pytest.fixture(scope="module")
def fresh_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """An empty Neo4j of this module's own (the session's graph keeps its schema)."""
    settings = StackSettings(
        state_dir=tmp_path_factory.mktemp("race-stack"), neo4j_port=free_port(), neo4j_heap_mb=512,
        neo4j_pagecache_mb=128, neo4j_lock_timeout_s=LOCK_TIMEOUT_S,
        neo4j_transaction_timeout_s=TRANSACTION_TIMEOUT_S,
    )
    server = Neo4jServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def driver(fresh_neo4j: Neo4jServer) -> Iterator[Driver]:
    with sync_driver(Neo4jSettings(uri=fresh_neo4j.url, password=None)) as driver:
        yield driver


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    snapshot = family(tmp_path_factory.mktemp("race-family") / "syn30", models=30, seed=5)
    with serve_in_thread(snapshot, port=free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def race_redis(redis_url: str) -> str:
    url = redis_url.rsplit("/", 1)[0] + "/7"  # a database of its own: the session worker never sees these tasks
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def env(race_redis: str, fresh_neo4j: Neo4jServer, hub: ReplayServer) -> dict[str, str]:
    return crawl_env(race_redis, fresh_neo4j.url, {hub.url: 100_000})


@pytest.fixture(scope="module")
def worker(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcs]:
    procs = WorkerProcs(env, tmp_path_factory.mktemp("race-worker"))
    procs.start("race", concurrency=2)
    try:
        procs.wait_ready()
        yield procs
    finally:
        procs.stop_all()


def _reset(driver: Driver) -> None:
    """A fresh database: no data, no constraint, no index of ours."""
    with driver.session(database="neo4j") as session:
        session.run(WIPE).consume()
    for item in SCHEMA:
        driver.execute_query(f"DROP {item.kind.upper()} {item.name} IF EXISTS")
    assert set(missing_schema(driver)) == {item.name for item in SCHEMA}


@dataclass
class Api:
    """A real API process (``uvicorn api.main:app``) on a free port."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, env: dict[str, str], log: Path) -> Api:
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "info"]
        with log.open("ab") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)  # noqa: S603
        return cls(proc, f"http://127.0.0.1:{port}", log)

    def wait_answering(self, deadline: float) -> None:
        """/healthz and a GraphQL query answer before ``deadline``."""
        with httpx.Client(base_url=self.url, timeout=5.0) as http:
            while True:
                assert self.proc.poll() is None, f"the API exited: {self.tail()}"
                try:
                    if http.get("/healthz").status_code == 200:
                        answer = http.post("/graphql", json=QUERY)
                        if answer.status_code == 200 and "data" in answer.json():
                            assert isinstance(answer.json()["data"]["models"]["totalCount"], int)
                            return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"the API did not answer in time: {self.tail()}"
                time.sleep(0.2)

    def readyz(self) -> httpx.Response:
        return httpx.get(f"{self.url}/readyz", timeout=10.0)

    def stop(self) -> float:
        """SIGTERM; the seconds it took to exit (killed, and failing the round, past the bound)."""
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_BOUND_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the API did not stop within {STOP_BOUND_S}s of SIGTERM: {self.tail()}")
        return time.monotonic() - began

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def _at_once(*actions: Callable[[], object]) -> list[object]:
    """Run the actions in threads released together; their results (or the exception each raised)."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ROUND_BOUND_S)
    assert not any(t.is_alive() for t in threads), "a start-up action is still running"
    return results


def _round(mode: str, *, driver: Driver, env: dict[str, str], hub: ReplayServer, client: CrawlClient,
           logs: Path, index: int) -> dict[str, float]:
    _reset(driver)
    if mode == "migrate first":
        migrate(driver)
    began = time.monotonic()
    deadline = began + ROUND_BOUND_S
    actions: list[Callable[[], object]] = [
        lambda: Api.start(env, logs / f"api-{index}.log"),
        lambda: client.request_crawl([SEED], up=True, down=2, deployers=False, endpoint=hub.url),
    ]
    if mode == "migrate concurrently":
        actions.append(lambda: migrate(driver))
    started = _at_once(*actions)
    for result in started:
        if isinstance(result, Exception):
            raise result
    api, job_id = started[0], started[1]
    assert isinstance(api, Api) and isinstance(job_id, str)
    try:
        api.wait_answering(deadline)
        answered = time.monotonic() - began
        report = wait_job(client, job_id, timeout_s=max(1.0, deadline - time.monotonic()))
        crawled = time.monotonic() - began
        assert report.state is JobState.DONE, report.to_dict()
        assert report.counters["models_written"] > 0
        ready = api.readyz()
        if mode == "no migrate":  # nobody made the schema: the API says so, and created nothing itself
            assert ready.status_code == 503, ready.text
            assert "schema" in ready.json()["down"]
            assert set(ready.json()["missing"]) == {item.name for item in SCHEMA}
        else:
            assert ready.status_code == 200, ready.text
            assert missing_schema(driver) == ()
    finally:
        stopped = api.stop()
    return {"answered": answered, "crawled": crawled, "stopped": stopped}


def test_the_api_and_a_crawl_started_together_on_a_fresh_database_both_finish_every_time(
    driver: Driver, env: dict[str, str], hub: ReplayServer, worker: WorkerProcs, race_redis: str,
    tmp_path: Path,
) -> None:
    client = CrawlClient(WorkerSettings(redis_url=race_redis))
    modes = ["migrate first"] * 8 + ["migrate concurrently"] * 2 + ["no migrate"]
    timings = []
    for index, mode in enumerate(modes):
        try:
            timings.append(_round(mode, driver=driver, env=env, hub=hub, client=client, logs=tmp_path, index=index))
        except BaseException:
            print(f"round {index} ({mode}) failed; worker log:\n{worker.log_tail('race')}")
            raise
    assert len(timings) == len(modes)
    assert max(t["stopped"] for t in timings) < STOP_BOUND_S
    print("rounds (s):", [{k: round(v, 1) for k, v in t.items()} for t in timings])


def test_the_local_neo4j_bounds_transactions_and_lock_waits(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "CALL dbms.listConfig() YIELD name, value "
        "WHERE name IN ['db.transaction.timeout', 'db.lock.acquisition.timeout'] RETURN name, value"
    )
    settings = {r["name"]: r["value"] for r in records}
    assert settings == {"db.transaction.timeout": f"{TRANSACTION_TIMEOUT_S}s",
                        "db.lock.acquisition.timeout": f"{LOCK_TIMEOUT_S}s"}


def test_a_worker_names_the_missing_schema_and_creates_none(
    driver: Driver, env: dict[str, str], tmp_path: Path
) -> None:
    _reset(driver)
    procs = WorkerProcs({**env, "REDIS_URL": env["REDIS_URL"].rsplit("/", 1)[0] + "/8"}, tmp_path)
    procs.start("schema-check", concurrency=1)
    try:
        procs.wait_ready()
        deadline = time.monotonic() + 30
        while "lineage migrate" not in procs.log_tail("schema-check", 20_000) and time.monotonic() < deadline:
            time.sleep(0.2)
        log = procs.log_tail("schema-check", 20_000)
    finally:
        procs.stop_all()
    assert "graph schema incomplete" in log and "lineage migrate" in log, log
    assert "model_id" in log
    assert set(missing_schema(driver)) == {item.name for item in SCHEMA}
    migrate(driver)
