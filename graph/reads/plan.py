"""Read plans, their shared argument checks, and running them over the sync driver.

Each read is written once as a *plan*: a generator that yields :class:`Query` objects and
receives the rows of each (``rows = yield Query(...)``), returning the read model. A plan yields
a :class:`Compute` for a CPU-heavy step (an engine pass, an assembly that scales with the graph)
and receives its value: :func:`run` here runs it in place over a sync driver;
:func:`graph.reads.run_async.run_async` drives the very same plans over the async driver and
runs compute steps in the compute thread (:mod:`graph.reads.compute_thread`), so no such step
runs on an event loop. Statements, argument checks and row mapping exist once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from neo4j import READ_ACCESS, Driver, NotificationMinimumSeverity

from crawler.observations import Relation
from graph.db import read_query
from graph.errors import InvalidArgument, translated
from graph.history import to_utc

__all__ = [
    "MAX_DEPTH",
    "Compute",
    "Plan",
    "Query",
    "MAX_LIMIT",
    "check_depth",
    "check_limit",
    "check_relations",
    "decode_cursor",
    "encode_cursor",
    "norm_as_of",
    "read",
    "run",
]

MAX_DEPTH = 64
MAX_LIMIT = 1000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Query:
    """One read statement and its parameters, yielded by a plan."""

    statement: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Compute:
    """A CPU-heavy step of a plan: ``fn(*args)``, run off the event loop by async drivers."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()

    def __call__(self) -> Any:
        return self.fn(*self.args)


Plan = Generator[Any, Any, T]
"""A read written once: yields queries (receiving each one's rows) and compute steps (receiving
their value), returns the result."""


def check_depth(value: int, name: str = "max_depth") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DEPTH:
        raise InvalidArgument(f"{name} must be an integer from 1 to {MAX_DEPTH}, got {value!r}")
    return value


def check_limit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be an integer from 1 to {MAX_LIMIT}, got {value!r}")
    return value


def check_relations(values: Iterable[Relation | str] | None) -> list[str] | None:
    if values is None:
        return None
    out = []
    for v in values:
        try:
            out.append(Relation(v).value)
        except ValueError as exc:
            raise InvalidArgument(f"unknown relation {v!r}; expected one of {[r.value for r in Relation]}") from exc
    if not out:
        raise InvalidArgument("relations, when given, must name at least one relation")
    return sorted(set(out))


def norm_as_of(as_of: datetime | None) -> datetime | None:
    return None if as_of is None else to_utc(as_of)


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str, prefix: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidArgument("cursor is not one this read produced") from exc
    if not key.startswith(prefix):
        raise InvalidArgument("cursor belongs to another query")
    return key


def read(driver: Driver, statement: str, params: dict[str, Any], database: str | None) -> list[Any]:
    """Run a read statement with driver errors translated.

    An auto-commit read (one round trip, where a managed transaction takes two) with server
    notifications off (the driver logs each one, which costs more than a lineage read).
    Not retried here: a lost connection raises GraphUnavailable, which callers may retry.
    """
    with translated():
        with driver.session(
            database=database,
            default_access_mode=READ_ACCESS,
            notifications_min_severity=NotificationMinimumSeverity.OFF,
        ) as session:
            return list(session.run(read_query(driver, statement), params))


def run(driver: Driver, plan: Plan[T], database: str | None) -> T:
    """Drive a plan over a sync driver."""
    try:
        step = next(plan)
        while True:
            if isinstance(step, Compute):
                step = plan.send(step())
            else:
                step = plan.send(read(driver, step.statement, step.params, database))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
