"""How each domain error is answered: one table for the GraphQL API, the REST handlers and the CLI.

A domain error (raised by the graph reads, the dossier or the engine's deadline) is looked up
in :data:`ANSWERS`, most specific class first; the entry gives the stable code a client can
branch on, the HTTP status, the GraphQL ``extensions.code``, the CLI's exit status and, where
the error's own text must not be shown (it may name servers), the fixed sentence shown instead.
An error not in the table is internal: the API masks it behind a request id, the CLI reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.errors import GraphError, GraphRetryableError, GraphTimeout, InvalidArgument, ModelNotFound, NotKnownAtInstant
from reports.dossier.errors import InvalidAsOf, UnknownFile

__all__ = ["ANSWERS", "Answer", "answer_for"]

TIMED_OUT = "the query took too long; narrow it (smaller pages, fewer levels) or try again later"
UNAVAILABLE = "the graph is unavailable right now; try again shortly"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a client is told about one kind of error."""

    code: str  # stable, snake_case: the REST ``error`` field
    http_status: int
    graphql_code: str  # GraphQL ``extensions.code``
    exit_code: int  # the CLI's exit status (2: the arguments were wrong)
    fixed_message: str | None = None  # shown instead of the error's own text
    public: bool = True  # False: the API masks it as an internal error (the CLI still says it)

    def message(self, exc: BaseException) -> str:
        return self.fixed_message or str(exc)

    def details(self, exc: BaseException) -> dict[str, Any]:
        """Fields a client branches on besides the code and the message (GraphQL ``extensions``, REST
        error fields): the error's own ``details`` (e.g. ``knownSince``), none when its text is not shown."""
        found = getattr(exc, "details", None)
        return dict(found) if isinstance(found, dict) and self.fixed_message is None else {}


_TIMED_OUT = Answer("timeout", 504, "TIMEOUT", 1, TIMED_OUT)

ANSWERS: tuple[tuple[type[BaseException], Answer], ...] = (
    (InvalidAsOf, Answer("invalid_as_of", 422, "BAD_USER_INPUT", 2)),
    (InvalidArgument, Answer("invalid_argument", 422, "BAD_USER_INPUT", 2)),
    (UnknownFile, Answer("file_not_found", 404, "NOT_FOUND", 1)),
    (NotKnownAtInstant, Answer("not_yet_known", 404, "NOT_KNOWN_AT_INSTANT", 1)),
    (ModelNotFound, Answer("model_not_found", 404, "NOT_FOUND", 1)),
    (GraphTimeout, _TIMED_OUT),  # the server stopped a transaction
    (TimeoutError, _TIMED_OUT),  # a request's deadline (terms.deadline) or asyncio.timeout
    (GraphRetryableError, Answer("graph_unavailable", 503, "SERVICE_UNAVAILABLE", 1, UNAVAILABLE)),
    (GraphError, Answer("graph_error", 500, "INTERNAL_SERVER_ERROR", 1, public=False)),
)


def answer_for(exc: BaseException) -> Answer | None:
    """The table's answer for ``exc`` (its most specific listed class), or None: an internal error."""
    for kind, answer in ANSWERS:
        if isinstance(exc, kind):
            return answer
    return None
