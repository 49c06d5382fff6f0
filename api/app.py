"""The FastAPI application: GraphQL at /graphql, health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.dashboard import router as dashboard_router
from api.investigations import router as investigations_router
from api.graphql import install_graphql
from api.metrics import metrics_endpoint, record_request
from api.settings import ApiSettings
from graph.client import GraphClient
from graph.settings import Neo4jSettings

__all__ = ["create_app"]


def create_app(settings: ApiSettings | None = None, neo4j: Neo4jSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graph = GraphClient(neo4j)
        app.state.graph = graph
        app.state.redis = aioredis.from_url(settings.redis_url, socket_timeout=settings.readiness_timeout_s)
        if await graph.is_reachable():
            await graph.bootstrap()
        try:
            yield
        finally:
            await graph.close()
            await app.state.redis.aclose()

    app = FastAPI(title="Lineage", lifespan=lifespan)
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["*"]
        )
    app.middleware("http")(record_request)
    install_graphql(app, settings)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Neo4j and Redis are reachable; 503 names whichever is not."""
        down: list[str] = []
        if not await app.state.graph.is_reachable():
            down.append("neo4j")
        try:
            await app.state.redis.ping()
        except (aioredis.RedisError, OSError):
            down.append("redis")
        if down:
            return JSONResponse({"status": "unavailable", "down": down}, status_code=503)
        return JSONResponse({"status": "ready", "down": []})

    app.include_router(dashboard_router)
    app.include_router(investigations_router)
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return app
