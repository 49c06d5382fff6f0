"""The Neo4j driver, created from settings; the only place that builds one.

Every transaction carries a timeout. The official driver has no driver-wide default, so each
driver built here remembers the timeouts of the settings it was built from, and call sites wrap
their statements with :func:`read_query`, :func:`write_query` or :func:`bulk_query` (or their
transaction functions with :func:`write_work`). A driver built elsewhere gets the defaults of
:class:`graph.settings.Neo4jSettings`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, LiteralString, TypeVar, cast

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase, NotificationMinimumSeverity, Query
from neo4j import unit_of_work

from graph.settings import Neo4jSettings

__all__ = [
    "Timeouts",
    "async_driver",
    "bulk_query",
    "read_query",
    "sync_driver",
    "timeouts",
    "write_query",
    "write_work",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long each kind of transaction may run, in seconds (see :class:`Neo4jSettings`)."""

    read_s: float
    write_s: float
    bulk_s: float
    schema_check_s: float

    @classmethod
    def of(cls, settings: Neo4jSettings) -> Timeouts:
        return cls(settings.query_timeout_s, settings.write_timeout_s, settings.bulk_timeout_s,
                   settings.schema_check_timeout_s)


_DEFAULTS = Timeouts(
    read_s=cast(float, Neo4jSettings.model_fields["query_timeout_s"].default),
    write_s=cast(float, Neo4jSettings.model_fields["write_timeout_s"].default),
    bulk_s=cast(float, Neo4jSettings.model_fields["bulk_timeout_s"].default),
    schema_check_s=cast(float, Neo4jSettings.model_fields["schema_check_timeout_s"].default),
)
_BY_DRIVER: weakref.WeakKeyDictionary[Driver | AsyncDriver, Timeouts] = weakref.WeakKeyDictionary()


def timeouts(driver: Driver | AsyncDriver) -> Timeouts:
    """The timeouts of the settings ``driver`` was built from (the defaults for a foreign driver)."""
    return _BY_DRIVER.get(driver, _DEFAULTS)


def read_query(driver: Driver | AsyncDriver, statement: LiteralString | str) -> Query:
    """``statement`` as a read bounded by the driver's read timeout."""
    return Query(cast(LiteralString, statement), timeout=timeouts(driver).read_s)


def write_query(driver: Driver | AsyncDriver, statement: LiteralString | str) -> Query:
    """``statement`` as a write bounded by the driver's write timeout."""
    return Query(cast(LiteralString, statement), timeout=timeouts(driver).write_s)


def bulk_query(driver: Driver | AsyncDriver, statement: LiteralString | str) -> Query:
    """``statement`` (whole-graph work, ``CALL { } IN TRANSACTIONS``) bounded by the driver's bulk timeout."""
    return Query(cast(LiteralString, statement), timeout=timeouts(driver).bulk_s)


def write_work(driver: Driver, work: F) -> F:
    """The transaction function ``work`` bounded by the driver's write timeout (for ``execute_write``)."""
    return cast(F, unit_of_work(timeout=timeouts(driver).write_s)(work))


def _auth(settings: Neo4jSettings) -> tuple[str, str] | None:
    if settings.password is None:
        return None
    return (settings.user, settings.password.get_secret_value())


def sync_driver(settings: Neo4jSettings | None = None) -> Driver:
    """The driver of workers and commands; server notifications (hints about relationship types a
    new graph does not have yet) are not wanted in their logs either."""
    settings = settings or Neo4jSettings()
    driver = GraphDatabase.driver(
        settings.uri,
        auth=_auth(settings),
        max_connection_pool_size=settings.max_connection_pool_size,
        connection_timeout=settings.connect_timeout_s,
        max_transaction_retry_time=settings.transaction_retry_s,
        notifications_min_severity=NotificationMinimumSeverity.OFF,
    )
    _BY_DRIVER[driver] = Timeouts.of(settings)
    return driver


def async_driver(settings: Neo4jSettings | None = None) -> AsyncDriver:
    """The driver of long-running servers (the API): server notifications (hints about unknown
    property keys before materialisation, plans) are not wanted in their logs."""
    settings = settings or Neo4jSettings()
    driver = AsyncGraphDatabase.driver(
        settings.uri,
        auth=_auth(settings),
        max_connection_pool_size=settings.max_connection_pool_size,
        connection_timeout=settings.connect_timeout_s,
        max_transaction_retry_time=settings.transaction_retry_s,
        notifications_min_severity=NotificationMinimumSeverity.OFF,
    )
    _BY_DRIVER[driver] = Timeouts.of(settings)
    return driver
