"""Errors raised by the graph package.

Driver errors are translated at the boundary (:func:`translated`) so that callers
never import ``neo4j`` to decide what to do. Retryable errors are a different
class from permanent ones: a Celery task retries only the former.

Hierarchy::

    GraphError
    ├── GraphRetryableError          the same call may succeed later
    │   ├── GraphUnavailable         database unreachable, session expired (ServiceUnavailable, SessionExpired)
    │   ├── GraphTransient           deadlock, lock timeout, leader switch (TransientError)
    │   └── GraphTimeout             a transaction ran longer than its timeout (or waited that long for a lock)
    └── GraphPermanentError          retrying the same call cannot help
        ├── GraphConstraintError     a uniqueness constraint was violated
        ├── GraphQueryError          Cypher syntax / type / client error (a bug, not a fault)
        ├── InvalidArgument          a read was asked with a bad depth, cursor, limit or relation
        ├── ModelNotFound            a read named a model that the graph does not hold
        │   └── NotKnownAtInstant    the graph holds it, but knows nothing of it before a later instant
        └── StaleRemovalRefused      the staleness task would remove more than its allowed share
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from neo4j import exceptions as neo4j_exc

__all__ = [
    "GraphConstraintError",
    "GraphError",
    "GraphPermanentError",
    "GraphQueryError",
    "GraphRetryableError",
    "GraphTimeout",
    "GraphTransient",
    "GraphUnavailable",
    "InvalidArgument",
    "ModelNotFound",
    "NotKnownAtInstant",
    "StaleRemovalRefused",
    "translated",
]


class GraphError(Exception):
    """Base of every error raised by the graph package."""


class GraphRetryableError(GraphError):
    """The operation failed for a reason that may go away; retry with backoff."""


class GraphUnavailable(GraphRetryableError):
    """Neo4j could not be reached or the session was lost."""


class GraphTransient(GraphRetryableError):
    """Neo4j reported a transient condition (deadlock, lock timeout)."""


class GraphTimeout(GraphRetryableError):
    """A transaction ran longer than its timeout (NEO4J_QUERY_TIMEOUT_S for reads, NEO4J_WRITE_TIMEOUT_S
    for writes, db.transaction.timeout on the server otherwise) and was stopped and rolled back."""


_TIMED_OUT = ("TransactionTimedOut", "LockClientStopped")
"""Codes of a transaction the server stopped at its timeout (while running, or while waiting for a lock)."""


class GraphPermanentError(GraphError):
    """The operation cannot succeed by being repeated unchanged."""


class GraphConstraintError(GraphPermanentError):
    """A uniqueness constraint rejected the write."""


class GraphQueryError(GraphPermanentError):
    """Neo4j rejected the statement itself (syntax, types, arguments)."""


class InvalidArgument(GraphPermanentError, ValueError):
    """A read or task was called with an argument outside its allowed range."""


class ModelNotFound(GraphPermanentError, LookupError):
    """No model (nor alias) with this id is in the graph."""

    def __init__(self, model_id: str) -> None:
        super().__init__(f"model {model_id!r} is not in the graph")
        self.model_id = model_id


class NotKnownAtInstant(ModelNotFound):
    """The graph holds the model, but the instant asked about lies before its ``known_since`` (the
    earliest instant anything of it is known from, :mod:`graph.reads.known_since`): the answer is
    not "it did not exist" but "Lineage cannot say anything about it then"."""

    def __init__(self, model_id: str, known_since: datetime, as_of: datetime) -> None:
        super().__init__(model_id)
        self.args = (f"{model_id} is not known before {known_since.isoformat()} (asOf {as_of.isoformat()})",)
        self.known_since = known_since
        self.as_of = as_of

    @property
    def details(self) -> dict[str, Any]:
        """What a client branches on, besides the message (GraphQL extensions, REST error fields)."""
        return {"knownSince": self.known_since.isoformat(), "asOf": self.as_of.isoformat(), "modelId": self.model_id}


class StaleRemovalRefused(GraphPermanentError):
    """More than the allowed share of a family would be marked stale; nothing was changed."""

    def __init__(self, root_id: str, would_go: int, total: int, max_share: float) -> None:
        share = would_go / total if total else 1.0
        super().__init__(
            f"refusing to mark {would_go} of {total} models of {root_id!r} stale "
            f"({share:.1%} > allowed {max_share:.1%})"
        )
        self.root_id = root_id
        self.would_go = would_go
        self.total = total
        self.max_share = max_share


def _timed_out(exc: neo4j_exc.Neo4jError) -> bool:
    return any(code in (exc.code or "") for code in _TIMED_OUT)


def _timeout(exc: neo4j_exc.Neo4jError) -> GraphTimeout:
    return GraphTimeout(
        f"the transaction was stopped at its timeout ({exc.code}); a read is bounded by NEO4J_QUERY_TIMEOUT_S, "
        "a write batch by NEO4J_WRITE_TIMEOUT_S, whole-graph work by NEO4J_BULK_TIMEOUT_S"
    )


@contextmanager
def translated() -> Iterator[None]:
    """Translate neo4j driver errors raised inside the block into graph errors."""
    try:
        yield
    except (neo4j_exc.ServiceUnavailable, neo4j_exc.SessionExpired) as exc:
        raise GraphUnavailable(str(exc) or type(exc).__name__) from exc
    except neo4j_exc.TransientError as exc:
        if _timed_out(exc):
            raise _timeout(exc) from exc
        raise GraphTransient(str(exc)) from exc
    except neo4j_exc.ConstraintError as exc:
        raise GraphConstraintError(str(exc)) from exc
    except (neo4j_exc.CypherSyntaxError, neo4j_exc.CypherTypeError, neo4j_exc.ClientError) as exc:
        if _timed_out(exc):
            raise _timeout(exc) from exc
        raise GraphQueryError(str(exc)) from exc
    except neo4j_exc.DriverError as exc:
        if exc.is_retryable():
            raise GraphUnavailable(str(exc) or type(exc).__name__) from exc
        raise GraphPermanentError(str(exc) or type(exc).__name__) from exc
    except neo4j_exc.Neo4jError as exc:
        if exc.is_retryable():
            raise GraphTransient(str(exc)) from exc
        raise GraphPermanentError(str(exc)) from exc
