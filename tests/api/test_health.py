"""Health, readiness and metrics endpoints against the real stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.app import create_app
from api.settings import ApiSettings
from graph.settings import Neo4jSettings
from lineage.stack import Neo4jServer, StackSettings
from tests.conftest import free_port

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
async def test_readyz_is_200_when_everything_is_up_and_503_naming_neo4j_when_it_stops(
    stoppable_neo4j: Neo4jServer, redis_url: str
) -> None:
    async for client in _client(stoppable_neo4j.url, redis_url):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
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
async def test_readyz_names_redis_when_it_is_unreachable(neo4j_uri: str) -> None:
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
