"""The FastAPI application: GraphQL at /graphql, GraphiQL, health, readiness and metrics; nosniff on every response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.dashboard import router as dashboard_router
from api.graphiql import PAGE_PATH as GRAPHIQL_PATH
from api.graphiql import BrowserDispatch
from api.graphiql import router as graphiql_router
from api.investigations import router as investigations_router
from api.jobs.service import CrawlService
from api.graphql import PATH as GRAPHQL_PATH
from api.graphql import install_graphql, wrap_outside
from api.headers import install_security_headers
from api.metrics import RequestMetrics, metrics_endpoint
from api.settings import ApiSettings
from graph.client import GraphClient
from graph.errors import GraphError
from graph.settings import Neo4jSettings

__all__ = ["create_app"]

log = structlog.get_logger(__name__)

T = TypeVar("T")

CLOSE_TIMEOUT_S = 5.0
"""Longest the API waits for a client to close at shutdown."""


async def _within(awaitable: Awaitable[T], seconds: float, *, default: T) -> T:
    """``awaitable``'s value, or ``default`` when it takes longer than ``seconds``."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        return default


async def _bounded(awaitable: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(awaitable, CLOSE_TIMEOUT_S)
    except TimeoutError:
        log.warning("shutdown step timed out", step=what, seconds=CLOSE_TIMEOUT_S)


async def _report_schema(graph: GraphClient) -> None:
    """Log, once at start-up, the constraints and indexes the graph lacks (the API never creates them)."""
    try:
        missing = await asyncio.wait_for(graph.missing_schema(), graph.settings.schema_check_timeout_s)
    except (TimeoutError, GraphError) as exc:
        log.warning("graph schema not checked; /readyz reports it", reason=str(exc) or type(exc).__name__)
        return
    if missing:
        log.warning("graph schema incomplete: run `lineage migrate`", missing=list(missing))


def create_app(settings: ApiSettings | None = None, neo4j: Neo4jSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Start-up awaits nothing on Neo4j or Redis: the API answers at once, /readyz says what is
        # down, and the schema is only checked (``lineage migrate`` creates it), in the background.
        graph = GraphClient(neo4j)
        app.state.graph = graph
        check = asyncio.create_task(_report_schema(graph), name="schema-check")
        try:
            yield
        finally:
            # let a running check finish (it is bounded): a check cancelled mid-connect leaves its socket open
            done, _ = await asyncio.wait({check}, timeout=CLOSE_TIMEOUT_S)
            if not done:
                check.cancel()
            await asyncio.gather(check, return_exceptions=True)
            await _bounded(graph.close(), "closing the Neo4j driver")

    docs = settings.api_docs  # /docs, /redoc and /openapi.json only when LINEAGE_API_DOCS is on
    app = FastAPI(
        title="Lineage",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    if settings.graphiql:  # the bundled IDE; strawberry serves none (see api.graphiql)
        app.include_router(graphiql_router)
        app.add_middleware(BrowserDispatch, graphql_path=GRAPHQL_PATH, page_path=GRAPHIQL_PATH)
    install_graphql(app, settings)  # outside Starlette's stack: request guard, then the GraphQL endpoint
    if settings.cors_origins:  # outside the GraphQL endpoint, so its answers carry the CORS headers too
        origins = settings.cors_origins
        wrap_outside(app, lambda inner: CORSMiddleware(
            inner, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["*"]))
    wrap_outside(app, RequestMetrics)  # counts every request, GraphQL operations included
    install_security_headers(app)  # outermost: every response, errors included

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Neo4j and Redis are reachable and the graph schema is complete; 503 names whatever is not
        ("schema" with the missing constraints and indexes until ``lineage migrate`` has run)."""
        wait = settings.readiness_timeout_s
        down: list[str] = []
        missing: list[str] = []
        graph: GraphClient = app.state.graph
        if not await _within(graph.is_reachable(), wait, default=False):
            down.append("neo4j")
        else:
            try:
                missing = list(await asyncio.wait_for(graph.missing_schema(), wait))
            except (TimeoutError, GraphError):
                missing = ["(the schema could not be read)"]
            if missing:
                down.append("schema")
        crawls: CrawlService = app.state.crawls  # Redis, asked through the workers' client
        if not await crawls.is_reachable(wait):
            down.append("redis")
        if down:
            body: dict[str, object] = {"status": "unavailable", "down": down}
            if missing:
                body["missing"] = missing
                body["hint"] = "run `lineage migrate`"
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "down": []})

    app.include_router(dashboard_router)
    app.include_router(investigations_router)
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return app
