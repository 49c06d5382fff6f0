"""Session fixtures that start the real local stack: Neo4j, Redis and a Celery worker, and the
bundled snapshot crawled into its graph.

Each pytest session starts its own servers on free loopback ports with data in a temporary
folder, and stops them at the end (also on failure). Set ``LINEAGE_TEST_NEO4J_URI`` and/or
``LINEAGE_TEST_REDIS_URL`` to reuse servers that are already running instead.

Only fixtures live here; the helpers they use (and tests import) are in :mod:`tests.support`.
Fixtures shared by one folder's tests are in that folder's ``conftest.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from neo4j import Driver

from graph.db import sync_driver
from graph.schema import migrate
from graph.settings import Neo4jSettings
from lineage.stack import Neo4jServer, RedisServer, StackSettings
from tests.support.stack import WIPE, free_port

if TYPE_CHECKING:
    from tests.support.bundled import BundledGraph


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> StackSettings:
    return StackSettings(
        state_dir=tmp_path_factory.mktemp("stack"),
        neo4j_port=free_port(),
        redis_port=free_port(),
        neo4j_heap_mb=1024,
        neo4j_pagecache_mb=512,
    )


@pytest.fixture(scope="session")
def neo4j_server(stack_settings: StackSettings) -> Iterator[Neo4jServer]:
    server = Neo4jServer(stack_settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_uri(request: pytest.FixtureRequest) -> str:
    reused = os.environ.get("LINEAGE_TEST_NEO4J_URI")
    if reused:
        return reused
    server: Neo4jServer = request.getfixturevalue("neo4j_server")
    return server.url


@pytest.fixture(scope="session")
def neo4j_settings(neo4j_uri: str) -> Neo4jSettings:
    return Neo4jSettings(uri=neo4j_uri, password=None)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_settings: Neo4jSettings) -> Iterator[Driver]:
    driver = sync_driver(neo4j_settings)
    driver.verify_connectivity()
    migrate(driver)  # what `lineage migrate` does; the API and the workers only check the schema
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def clean_graph(neo4j_driver: Driver) -> Driver:
    """An empty graph (constraints and indexes kept)."""
    with neo4j_driver.session(database="neo4j") as session:
        session.run(WIPE).consume()
    return neo4j_driver


@pytest.fixture(scope="session")
def redis_server(stack_settings: StackSettings) -> Iterator[RedisServer]:
    server = RedisServer(stack_settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    reused = os.environ.get("LINEAGE_TEST_REDIS_URL")
    if reused:
        return reused
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


@pytest.fixture(scope="session")
def stack_env(neo4j_uri: str, redis_url: str) -> Iterator[dict[str, str]]:
    """The environment that points every package at the test stack (also set in os.environ)."""
    env = {"NEO4J_URI": neo4j_uri, "REDIS_URL": redis_url}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def celery_worker(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process consuming every queue of the test Redis."""
    from workers.app import app
    from workers.queues import Queue

    app.conf.update(broker_url=stack_env["REDIS_URL"], result_backend=stack_env["REDIS_URL"])
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    argv = [
        sys.executable, "-m", "celery", "-A", "workers.app", "worker",
        "--pool=threads", "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle",
        f"--queues={','.join(q.value for q in Queue)}", "--hostname=test-worker@%h",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **stack_env})
    try:
        _wait_for_worker(app, proc, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_worker(app: object, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited: {log.read_text()[-2000:]}")
        if app.control.ping(timeout=0.5):  # type: ignore[attr-defined]
            return
    raise RuntimeError(f"the Celery worker did not answer a ping within 60s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def bundled_graph(neo4j_driver: Driver) -> BundledGraph:
    """The bundled real snapshot, served by the replay hub, crawled with HubSource (up, down, deployers)
    and written with GraphWriter into the session's graph — no Celery. Tests that may run after a
    ``clean_graph`` wipe call ``bundled_graph.ensure()`` to refill it (from memory, no new crawl)."""
    from tests.support.bundled import crawl_bundled

    with neo4j_driver.session(database="neo4j") as session:
        session.run(WIPE).consume()
    return crawl_bundled(neo4j_driver)
