"""Prometheus metrics of the HTTP layer, and ``/metrics`` itself.

Labels stay a closed set: the method is one of :data:`METHODS` or ``other`` (so a client sending
made-up methods cannot grow the series without bound), and the route is the route's template or
``unmatched``. With ``LINEAGE_METRICS_KEY`` set, ``/metrics`` answers only a request presenting that
key (``Authorization: Bearer <key>``, compared in constant time) and gives 401 otherwise.
"""

from __future__ import annotations

import time

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from api.auth import key_from_headers, valid_key
from api.settings import ApiSettings

__all__ = ["METHODS", "REGISTRY", "RequestMetrics", "method_label", "metrics_endpoint"]

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
METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


def method_label(method: str) -> str:
    """The method as a metrics label: itself when standard, else ``other``."""
    return method if method in METHODS else "other"


class RequestMetrics:
    """Pure ASGI middleware (outermost) that counts and times every HTTP request.

    The route label is the matched route's template; GraphQL operations, answered by
    :class:`api.http.GraphQLEndpoint` before any route matches, are labelled by their path.
    """

    def __init__(self, app: ASGIApp, *, graphql_path: str = "/graphql") -> None:
        self.app = app
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            if route is not None:
                path = getattr(route, "path", "") or scope["path"]
            else:
                path = self.graphql_path if scope["path"].rstrip("/") == self.graphql_path else "unmatched"
            method = method_label(scope["method"])
            LATENCY.labels(method, path).observe(time.perf_counter() - started)
            REQUESTS.labels(method, path, str(status)).inc()


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus exposition; 401 without the metrics key when one is configured."""
    settings: ApiSettings = request.app.state.settings
    if settings.metrics_key is not None and not valid_key(key_from_headers(request.headers), [settings.metrics_key]):
        return Response(
            "metrics need 'Authorization: Bearer <LINEAGE_METRICS_KEY>'\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
