"""Health, readiness and metrics endpoints against the real stack."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.app import create_app
from api.settings import ApiSettings
from graph.db import sync_driver
from graph.schema import SCHEMA, migrate, missing_schema
from graph.settings import Neo4jSettings
from lineage.stack import Neo4jServer, StackSettings
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stoppable_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    settings = StackSettings(
        state_dir=tmp_path_factory.mktemp("readyz"), neo4j_port=free_port(), neo4j_heap_mb=512, neo4j_pagecache_mb=128
    )
    server = Neo4jServer(settings)
    server.start()
    yield server
    server.stop()


async def _client(neo4j_uri: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ApiSettings(redis_url=redis_url), Neo4jSettings(uri=neo4j_uri))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            yield client


@pytest.mark.anyio
async def test_readyz_names_the_missing_schema_until_migrated_then_neo4j_when_it_stops(
    stoppable_neo4j: Neo4jServer, redis_url: str
) -> None:
    settings = Neo4jSettings(uri=stoppable_neo4j.url)
    with sync_driver(settings) as driver:  # a fresh database: the API must not create the schema itself
        for item in SCHEMA:
            driver.execute_query(f"DROP {item.kind.upper()} {item.name} IF EXISTS")
    async for client in _client(stoppable_neo4j.url, redis_url):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        unmigrated = await client.get("/readyz")
        assert unmigrated.status_code == 503, unmigrated.text
        assert unmigrated.json()["down"] == ["schema"]
        assert set(unmigrated.json()["missing"]) == {item.name for item in SCHEMA}
        with sync_driver(settings) as driver:
            assert set(missing_schema(driver)) == {item.name for item in SCHEMA}  # still: the API created nothing
            migrate(driver)
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        stoppable_neo4j.stop()
        try:
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["down"] == ["neo4j"]
            assert (await client.get("/healthz")).status_code == 200
        finally:
            stoppable_neo4j.start()
        assert (await client.get("/readyz")).status_code == 200


@pytest.mark.anyio
async def test_the_api_starts_at_once_without_neo4j_and_readyz_says_so(redis_url: str) -> None:
    began = time.monotonic()
    async for client in _client(f"bolt://127.0.0.1:{free_port()}", redis_url):
        assert time.monotonic() - began < 5
        assert (await client.get("/healthz")).status_code == 200
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["down"] == ["neo4j"]


@pytest.mark.anyio
async def test_readyz_names_redis_when_it_is_unreachable(neo4j_driver: object, neo4j_uri: str) -> None:
    async for client in _client(neo4j_uri, f"redis://127.0.0.1:{free_port()}/0"):
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["down"] == ["redis"]


@pytest.mark.anyio
async def test_graphql_and_metrics_are_served(clean_graph: object, neo4j_uri: str, redis_url: str) -> None:
    async for client in _client(neo4j_uri, redis_url):
        answer = await client.post("/graphql", json={"query": "{ models(first: 1) { totalCount edges { id } } }"})
        assert answer.status_code == 200
        assert answer.json() == {"data": {"models": {"totalCount": 0, "edges": []}}}
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" in ide.text.lower()
        metrics = await client.get("/metrics")
        assert 'lineage_http_requests_total{method="POST",route="/graphql",status="200"}' in metrics.text
