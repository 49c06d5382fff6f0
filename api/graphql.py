"""Mount GraphQL on the FastAPI app: the operation endpoint, a request id per request, a body limit.

:func:`install_graphql` puts, outside Starlette's middleware stack (:func:`wrap_outside`):

* :class:`RequestGuard`, a pure ASGI middleware for ``/graphql`` that gives every request an id
  (the caller's ``X-Request-ID`` when it is sane, else a new one; echoed in the response header and
  found in logs and masked errors) and refuses a body larger than ``max_body_bytes`` with HTTP 413
  and a GraphQL-shaped error, before the body is read into memory;
* :class:`api.http.GraphQLEndpoint`, which answers every operation (``POST /graphql``,
  ``GET /graphql?query=``) with admission control and the response cache.

The strawberry router stays mounted at ``/graphql`` for what is neither (it serves no IDE: browsers
get the bundled GraphiQL from :mod:`api.graphiql`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.fastapi import GraphQLRouter

from api.context import get_context
from api.http import GraphQLEndpoint, error_body
from api.jobs.service import CrawlService
from api.schema import LineageSchema, create_schema
from api.settings import ApiSettings

__all__ = ["PATH", "RequestGuard", "install_graphql", "wrap_outside"]

PATH = "/graphql"
_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class RequestGuard:
    """Request ids and the body size limit for the GraphQL path."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, path: str = PATH) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.path):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send_with_id, request_id)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send_with_id)
        except _BodyTooLarge:
            await self._too_large(send_with_id, request_id)
        except BaseExceptionGroup as group:  # raised inside a task group of an inner middleware
            if group.subgroup(_BodyTooLarge) is None:
                raise
            await self._too_large(send_with_id, request_id)

    async def _too_large(self, send: Any, request_id: str) -> None:
        body = error_body(
            f"the request body is larger than {self.max_body_bytes} bytes; send a smaller query",
            "REQUEST_TOO_LARGE",
            request_id,
        )
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


def install_graphql(app: FastAPI, settings: ApiSettings, schema: LineageSchema | None = None) -> None:
    """Mount ``/graphql``: operations run by :class:`api.http.GraphQLEndpoint` (admission, response
    cache), behind :class:`RequestGuard` (request ids, body limit); the strawberry router serves the
    rest of the path. The crawl service is created here, the graph by the lifespan."""
    app.state.crawls = CrawlService(settings.redis_url)
    schema = schema or create_schema(settings)
    app.state.admission = GraphQLEndpoint.admission_for(settings)
    app.state.response_cache = GraphQLEndpoint.cache_for(settings)
    router = GraphQLRouter[Any, None](
        schema,
        context_getter=get_context,
        graphql_ide=None,  # the bundled GraphiQL is served by api.graphiql
        allow_queries_via_get=True,
        multipart_uploads_enabled=False,
    )
    app.include_router(router, prefix=PATH)
    wrap_outside(
        app,
        lambda inner: RequestGuard(
            GraphQLEndpoint(
                inner,
                schema=schema,
                settings=settings,
                state=app.state,
                admission=app.state.admission,
                cache=app.state.response_cache,
                path=PATH,
            ),
            max_body_bytes=settings.max_body_bytes,
        ),
    )


def wrap_outside(app: FastAPI, layer: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put ``layer`` around the app's whole middleware stack (outside Starlette's error and exception
    middleware): GraphQL operations skip every layer they do not need. The last call is outermost."""
    build = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return layer(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]
