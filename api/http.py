"""GraphQL over HTTP: the one way an operation gets from a request to the schema and back.

:class:`GraphQLEndpoint` is a pure ASGI middleware in front of the app that answers

* ``POST /graphql`` with a JSON object body ``{"query", "variables"?, "operationName"?}``;
* ``GET /graphql?query=…`` (queries only);

and leaves everything else on ``/graphql`` (GraphiQL for a browser) to the app. Each operation:

1. the body is checked: not JSON, not an object (a string, ``null``, a number), a batch (a JSON
   array), a ``query`` that is not a string, ``variables`` that are not an object → HTTP 400 with
   a GraphQL-shaped error naming what is wrong (the size limit is :class:`api.graphql.RequestGuard`'s);
2. it takes an admission slot (:mod:`api.admission`) or is refused with HTTP 503 and
   ``Retry-After``;
3. its answer comes from the response cache (:mod:`api.response_cache`) when one was computed at
   the current graph version (:mod:`graph.version`), or is computed by the schema (budget,
   validation, execution, timeout and deadline: :mod:`api.schema`) and encoded once with orjson.

Nothing else on the request path parses or re-encodes the answer.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http import process_result
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.admission import Admission, Overloaded
from api.context import Context
from api.response_cache import Answer, ResponseCache, cache_key
from api.schema import LineageSchema
from api.settings import ApiSettings
from graph.errors import GraphError
from graph.version import GraphVersion

__all__ = ["GraphQLEndpoint", "Operation", "RequestRefused", "error_body", "parse_operation"]

log = structlog.get_logger(__name__)

_JSON = [(b"content-type", b"application/json")]
_QUERIES_ONLY = frozenset({OperationType.QUERY})
_ANY = frozenset({OperationType.QUERY, OperationType.MUTATION})
_MUTATION = re.compile(r"\bmutation\b")


class RequestRefused(Exception):
    """The HTTP request is not a GraphQL operation this endpoint runs (HTTP 400)."""


class Operation:
    """One GraphQL operation as sent."""

    __slots__ = ("operation_name", "query", "variables")

    def __init__(self, query: str, variables: dict[str, Any] | None, operation_name: str | None) -> None:
        self.query = query
        self.variables = variables
        self.operation_name = operation_name


def parse_operation(data: object) -> Operation:
    """The operation of a decoded request body (or of GET parameters); RequestRefused says what is wrong."""
    if isinstance(data, list):
        raise RequestRefused("batched operations are not supported; send one operation per request")
    if not isinstance(data, dict):
        raise RequestRefused('the request body must be a JSON object such as {"query": "{ licenses { id } }"}')
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestRefused('the request has no GraphQL document: "query" must be a non-empty string')
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestRefused('"variables" must be a JSON object when given')
    name = data.get("operationName")
    if name is not None and not isinstance(name, str):
        raise RequestRefused('"operationName" must be a string when given')
    return Operation(query, variables, name or None)


def error_body(message: str, code: str, request_id: str | None, **extensions: Any) -> bytes:
    """A GraphQL-shaped error answer: no data, one error with its code (and the request id)."""
    ext = {"code": code, **extensions, **({"requestId": request_id} if request_id else {})}
    return orjson.dumps({"data": None, "errors": [{"message": message, "extensions": ext}]})


class GraphQLEndpoint:
    """Runs GraphQL operations on ``path``; everything else goes on to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        schema: LineageSchema,
        settings: ApiSettings,
        state: Any,
        admission: Admission,
        cache: ResponseCache | None,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.schema = schema
        self.settings = settings
        self.state = state  # the FastAPI app's state: graph client and crawl service (set by the lifespan)
        self.admission = admission
        self.cache = cache
        self.path = path
        self._version: GraphVersion | None = None

    @staticmethod
    def admission_for(settings: ApiSettings) -> Admission:
        return Admission(
            slots=settings.max_concurrent_operations,
            waiting=settings.max_waiting_operations,
            wait_s=settings.admission_wait_s,
            retry_after_s=settings.retry_after_s,
        )

    @staticmethod
    def cache_for(settings: ApiSettings) -> ResponseCache | None:
        if not settings.response_cache:
            return None
        return ResponseCache(
            max_entries=settings.response_cache_entries,
            max_bytes=settings.response_cache_mb * 1024 * 1024,
            max_entry_bytes=settings.response_cache_entry_kb * 1024,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "POST":
            await self._post(scope, receive, send)
        elif method == "GET" and b"query=" in scope.get("query_string", b""):
            await self._get(scope, send)
        else:
            await self.app(scope, receive, send)

    # -- request parsing ------------------------------------------------------------------------
    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _request_id(scope)
        content_type = _header(scope, b"content-type")
        if b"json" not in content_type:
            await _respond(send, 400, error_body(
                "send the operation as JSON (Content-Type: application/json)", "BAD_REQUEST", request_id))
            return
        body = await _read_body(receive)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            await _respond(send, 400, error_body("the request body is not valid JSON", "BAD_REQUEST", request_id))
            return
        await self._run(scope, send, data, request_id, _ANY)

    async def _get(self, scope: Scope, send: Send) -> None:
        request_id = _request_id(scope)
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        data: dict[str, Any] = {"query": params.get("query", [""])[0]}
        if "operationName" in params:
            data["operationName"] = params["operationName"][0]
        if "variables" in params:
            try:
                data["variables"] = orjson.loads(params["variables"][0])
            except orjson.JSONDecodeError:
                await _respond(send, 400, error_body('"variables" is not valid JSON', "BAD_REQUEST", request_id))
                return
        await self._run(scope, send, data, request_id, _QUERIES_ONLY)

    # -- running --------------------------------------------------------------------------------
    async def _run(
        self, scope: Scope, send: Send, data: object, request_id: str | None, allowed: frozenset[OperationType]
    ) -> None:
        try:
            operation = parse_operation(data)
        except RequestRefused as exc:
            await _respond(send, 400, error_body(str(exc), "BAD_REQUEST", request_id))
            return
        try:
            async with self.admission.slot():
                body = await self._answer(scope, operation, request_id, allowed)
        except InvalidOperationTypeError as exc:  # a mutation sent with GET, a subscription over HTTP
            message = f"{exc.as_http_error_reason(scope['method'])}; send mutations with POST"
            await _respond(send, 400, error_body(message, "BAD_REQUEST", request_id))
            return
        except Overloaded as exc:
            await _respond(
                send,
                503,
                error_body(
                    f"the server is at its limit of {self.admission.slots} concurrent operations; "
                    f"retry in {exc.retry_after_s}s",
                    "SERVICE_UNAVAILABLE",
                    request_id,
                    retryAfter=exc.retry_after_s,
                ),
                [(b"retry-after", str(exc.retry_after_s).encode())],
            )
            return
        except Exception:  # noqa: BLE001 - a bug must not leave the client without an answer
            log.exception("graphql.unhandled", request_id=request_id)
            message = f"Internal server error (request id {request_id})."
            await _respond(send, 500, error_body(message, "INTERNAL_SERVER_ERROR", request_id))
            return
        await _respond(send, 200, body)

    async def _answer(
        self, scope: Scope, operation: Operation, request_id: str | None, allowed: frozenset[OperationType]
    ) -> bytes:
        async def compute() -> Answer:
            return await self._execute(scope, operation, request_id, allowed)

        if self.cache is None or _MUTATION.search(operation.query):  # a mutation runs every time it is sent
            return (await compute()).body
        version = await self._graph_version()
        if version is None:
            return (await compute()).body
        key = cache_key(operation.query, operation.operation_name, operation.variables)
        return await self.cache.answer(key, version, compute)

    async def _graph_version(self) -> str | None:
        if self._version is None:
            graph = self.state.graph
            self._version = GraphVersion(graph.driver, database=graph.settings.database)
        try:
            return await self._version.current()
        except GraphError:  # the graph is down: answer without the cache (the query will say why)
            return None

    async def _execute(
        self, scope: Scope, operation: Operation, request_id: str | None, allowed: frozenset[OperationType]
    ) -> Answer:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        context = Context.create(
            graph=self.state.graph,
            settings=self.settings,
            crawls=self.state.crawls,
            headers=headers,
            request_id=request_id,
        )
        started = time.perf_counter()
        result = await self.schema.execute(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.operation_name,
            allowed_operation_types=allowed,
        )
        body = orjson.dumps(process_result(result))
        if time.perf_counter() - started > 1.0:
            log.info("graphql.slow", request_id=request_id, seconds=round(time.perf_counter() - started, 3))
        return Answer(body, storable=context.cacheable and not result.errors)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).lower()
    return b""


def _request_id(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    found = state.get("request_id")
    return str(found) if found else None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [*_JSON, (b"content-length", str(len(body)).encode()), *(headers or ())],
    })
    await send({"type": "http.response.body", "body": body})
