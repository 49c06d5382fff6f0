"""Errors the GraphQL API shows to its clients, and the masking of everything else.

Hierarchy::

    ApiError (GraphQLError)           shown to the client as is, with ``extensions.code``
    ├── BadUserInput                  an argument is out of range or malformed (BAD_USER_INPUT)
    ├── UnknownId                     an argument names a model, licence, term or rule Lineage does not know (NOT_FOUND)
    ├── NotAuthenticated              a mutation without a valid API key (UNAUTHENTICATED)
    ├── QueryTimeout                  the operation ran longer than the query timeout (TIMEOUT)
    └── ServiceUnavailable            the graph or the job store cannot be reached now (SERVICE_UNAVAILABLE)

Any other exception raised while resolving is an internal error: :class:`MaskInternalErrors`
replaces its message by a stable one carrying the request id, and
:func:`log_internal_errors` logs the real error (with its traceback) under that request id.
Domain errors are translated at the boundary by :func:`translated`, with the one table of
:mod:`reports.errors` that the REST handlers and the CLI use too; the table's ``details`` of an
error join ``extensions`` (``NOT_KNOWN_AT_INSTANT`` carries ``knownSince``, ``asOf`` and ``modelId``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from reports.errors import answer_for

__all__ = [
    "INTERNAL_MESSAGE",
    "ApiError",
    "BadUserInput",
    "MaskInternalErrors",
    "NotAuthenticated",
    "QueryTimeout",
    "ServiceUnavailable",
    "UnknownId",
    "is_internal",
    "log_internal_errors",
    "translated",
]

log = structlog.get_logger(__name__)

INTERNAL_MESSAGE = "Internal server error (request id {request_id})."


class ApiError(GraphQLError):
    """An error meant for the client; ``code`` goes into ``extensions``."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code or self.code, **extensions})


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


class UnknownId(ApiError):
    """An argument that filters or connects names something unknown: ``extensions`` carry the argument and the id.

    (A field that looks one thing up — ``model``, ``license``, ``propagation`` — answers null instead.)
    """

    code = "NOT_FOUND"

    def __init__(self, message: str, *, argument: str, id: str) -> None:  # noqa: A002 - the client's word
        super().__init__(message, argument=argument, id=id)


class NotAuthenticated(ApiError):
    code = "UNAUTHENTICATED"


class QueryTimeout(ApiError):
    code = "TIMEOUT"


class ServiceUnavailable(ApiError):
    code = "SERVICE_UNAVAILABLE"


def _original(error: GraphQLError) -> BaseException | None:
    return error.original_error


def is_internal(error: GraphQLError) -> bool:
    """True for errors raised by a resolver that are not meant for the client."""
    original = _original(error)
    if original is None:
        return False  # syntax, validation and limit errors of graphql-core itself
    return not isinstance(original, GraphQLError)


def _request_id(context: Any) -> str:
    return str(getattr(context, "request_id", None) or "unknown")


def log_internal_errors(errors: list[GraphQLError], context: Any) -> None:
    """Log each internal error with its traceback under the request id."""
    for error in errors:
        if is_internal(error):
            original = _original(error)
            log.error(
                "graphql.internal_error",
                request_id=_request_id(context),
                path=error.path,
                error=repr(original),
                exc_info=original,
            )


class MaskInternalErrors(MaskErrors):
    """Replace internal errors by a stable message with the request id; client errors pass."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_internal)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = _request_id(self.execution_context.context)
        return GraphQLError(
            message=INTERNAL_MESSAGE.format(request_id=request_id),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


@contextmanager
def translated() -> Iterator[None]:
    """Domain errors raised inside the block become client errors, as :data:`reports.errors.ANSWERS`
    says (errors not in the table, or not public, stay internal and are masked)."""
    try:
        yield
    except Exception as exc:
        answer = answer_for(exc)
        if answer is None or not answer.public:
            raise
        raise ApiError(answer.message(exc), code=answer.graphql_code, **answer.details(exc)) from exc
