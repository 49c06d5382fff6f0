"""Prometheus metrics of the HTTP layer."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["REGISTRY", "metrics_endpoint", "record_request"]

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "lineage_http_requests_total", "HTTP requests served", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "lineage_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    # mounted routers (GraphQL) have an empty route path: label them by the concrete path
    path = "unmatched" if route is None else (getattr(route, "path", "") or request.url.path)
    LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
    REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    return response


async def metrics_endpoint() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
