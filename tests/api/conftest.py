"""Fixtures of the API tests.

* ``settings`` — the API's settings for the test stack, with the test API key;
* ``graph`` — a ``GraphClient`` on the session's graph holding the bundled snapshot;
* ``families`` — a few real families alone in the graph for the module's tests (dossiers, AIBOMs);
  a module that needs more in the graph defines its own ``families`` on top of
  :func:`tests.support.families.written_families`;
* ``client`` — the app with the investigation routes, over an in-process transport, on ``families``.

The helpers behind them are in :mod:`tests.support.graphql`, :mod:`tests.support.bundled` and
:mod:`tests.support.families`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from asgi_lifespan import LifespanManager
from neo4j import Driver

from api.app import create_app
from api.investigations import router
from api.settings import ApiSettings
from graph.client import GraphClient
from graph.settings import Neo4jSettings
from tests.support.families import Families, written_families
from tests.support.graphql import api_settings
from tests.support.stack import free_port

if TYPE_CHECKING:
    from tests.support.bundled import BundledGraph


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(redis_url: str) -> ApiSettings:
    return api_settings(redis_url)


@pytest.fixture
async def graph(bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings) -> AsyncIterator[GraphClient]:
    bundled_graph.ensure()
    async with GraphClient(neo4j_settings) as client:
        yield client


@pytest.fixture(scope="module")
def families(neo4j_driver: Driver) -> Iterator[Families]:
    with written_families(neo4j_driver) as found:
        yield found


@pytest.fixture
async def client(neo4j_uri: str, families: Families) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the investigation routes; its Redis is a port nobody listens on (not needed)."""
    app = create_app(ApiSettings(redis_url=f"redis://127.0.0.1:{free_port()}/0"), Neo4jSettings(uri=neo4j_uri))
    app.include_router(router)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as http:
            yield http
