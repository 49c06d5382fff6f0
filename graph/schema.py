"""The graph's uniqueness constraints and indexes: created by ``lineage migrate`` only, checked by everyone else.

Schema changes take schema locks that reads and writes of the same labels wait on, so they run
once, from one place (:func:`migrate`, behind ``lineage migrate``: run by ``lineage dev up``,
the demo, the test fixtures and the compose ``migrate`` service). The API and the workers only
read ``SHOW CONSTRAINTS`` / ``SHOW INDEXES`` with a short timeout (:func:`missing_schema`,
:func:`missing_schema_async`) and say what is missing; they never create anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from neo4j import READ_ACCESS, AsyncDriver, Driver, Query

from graph.db import bulk_query, timeouts
from graph.errors import translated
from graph.statements.changes import BASELINE_ANNOUNCED
from graph.statements.schema import (
    AWAIT_INDEXES,
    BACKFILL_SEARCH_ID,
    PRESENT,
    constraint_statement,
    index_statement,
    text_index_statement,
)

__all__ = [
    "SCHEMA",
    "SCHEMA_STATEMENTS",
    "MigrationReport",
    "SchemaItem",
    "ensure_schema",
    "migrate",
    "missing_schema",
    "missing_schema_async",
]


@dataclass(frozen=True, slots=True)
class SchemaItem:
    """One constraint or index, by the name Neo4j lists it under."""

    name: str
    kind: Literal["constraint", "index"]
    statement: str


def _constraint(name: str, pattern: str, prop: str) -> SchemaItem:
    return SchemaItem(name, "constraint", constraint_statement(name, pattern, prop))


def _index(name: str, pattern: str, prop: str) -> SchemaItem:
    return SchemaItem(name, "index", index_statement(name, pattern, prop))


def _text_index(name: str, pattern: str, prop: str) -> SchemaItem:
    return SchemaItem(name, "index", text_index_statement(name, pattern, prop))


SCHEMA: tuple[SchemaItem, ...] = (
    _constraint("model_id", "(n:Model)", "n.id"),
    _constraint("party_id", "(n:Party)", "n.id"),
    _constraint("license_id", "(n:License)", "n.id"),
    _constraint("term_id", "(n:Term)", "n.id"),
    _constraint("deployment_id", "(n:Deployment)", "n.id"),
    _constraint("dataset_id", "(n:Dataset)", "n.id"),
    _constraint("file_sha256", "(n:File)", "n.sha256"),
    _index("model_status", "(n:Model)", "n.status"),
    _index("model_author", "(n:Model)", "n.author"),
    _index("model_declared_license", "(n:Model)", "n.declared_license"),
    # models(search:): "id contains, any case" answered from a trigram text index on the lower-cased id
    _text_index("model_search_id", "(n:Model)", "n.search_id"),
    # renamed repos: an old id is found through its alias node (graph.aliases)
    _constraint("model_alias_id", "(n:ModelAlias)", "n.id"),
    # models whose ancestry index must be rebuilt (sparse: the property exists only while dirty)
    _index("model_closure_dirty", "(n:Model)", "n.closure_dirty"),
    # models a full family crawl no longer saw (graph.staleness)
    _index("model_stale", "(n:Model)", "n.stale"),
    # how far each hub's listing has been read (graph.hub_listing)
    _constraint("hub_listing_endpoint", "(n:HubListing)", "n.endpoint"),
    # descendants of a model in a stable order for cursor paging (graph.statements.lineage)
    _index("has_ancestor_key", "()-[k:HAS_ANCESTOR]-()", "k.key"),
    # change records (graph.changes): by model, by time, by batch
    _constraint("change_id", "(n:Change)", "n.id"),
    _index("change_model", "(n:Change)", "n.model_id"),
    _index("change_recorded_at", "(n:Change)", "n.recorded_at"),
    _index("change_batch", "(n:Change)", "n.batch"),
    # watches and their events (graph.watches)
    _constraint("watch_id", "(n:Watch)", "n.id"),
    _index("watch_owner", "(n:Watch)", "n.owner"),
    _constraint("event_id", "(n:Event)", "n.id"),
    _index("event_watch", "(n:Event)", "n.watch_id"),
    _index("event_status", "(n:Event)", "n.status"),
)

SCHEMA_STATEMENTS: tuple[str, ...] = tuple(item.statement for item in SCHEMA)

@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What :func:`migrate` did: the items it created and those that already existed."""

    created: tuple[str, ...]
    existing: tuple[str, ...]
    seconds: float


def _missing(present: set[str]) -> tuple[str, ...]:
    return tuple(item.name for item in SCHEMA if item.name not in present)


def missing_schema(driver: Driver, database: str = "neo4j", *, timeout_s: float | None = None) -> tuple[str, ...]:
    """The names of the constraints and indexes the graph lacks (empty: the schema is complete).

    One auto-commit read of the schema (not retried: an unreachable Neo4j raises GraphUnavailable
    at once), bounded by ``timeout_s`` (default: the driver's schema check timeout); it takes no
    lock a crawl or a migration could be waiting on.
    """
    query = Query(PRESENT, timeout=timeout_s if timeout_s is not None else timeouts(driver).schema_check_s)
    with translated(), driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        names = {record["name"] for record in session.run(query)}
    return _missing(names)


async def missing_schema_async(
    driver: AsyncDriver, database: str = "neo4j", *, timeout_s: float | None = None
) -> tuple[str, ...]:
    """:func:`missing_schema` over the async driver (the API)."""
    query = Query(PRESENT, timeout=timeout_s if timeout_s is not None else timeouts(driver).schema_check_s)
    with translated():
        async with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
            result = await session.run(query)
            names = {record["name"] async for record in result}
    return _missing(names)


def migrate(driver: Driver, database: str = "neo4j") -> MigrationReport:
    """Create every constraint and index that is missing and wait until all are online.

    Each statement is its own transaction bounded by the driver's bulk timeout, and is
    idempotent (``IF NOT EXISTS``), so two migrations at once are harmless: what another one
    created first is reported as existing. Raises a :class:`graph.errors.GraphError` when a
    statement fails (for instance when existing data violates a uniqueness constraint).
    """
    began = time.perf_counter()
    with translated():
        driver.verify_connectivity()
    absent = set(missing_schema(driver, database, timeout_s=timeouts(driver).bulk_s))
    created: list[str] = []
    existing: list[str] = []
    with translated():
        for item in SCHEMA:
            if item.name not in absent:
                existing.append(item.name)
                continue
            summary = driver.execute_query(bulk_query(driver, item.statement), database_=database).summary
            made = summary.counters.constraints_added + summary.counters.indexes_added
            (created if made else existing).append(item.name)
        with driver.session(database=database) as session:  # CALL … IN TRANSACTIONS needs an auto-commit run
            session.run(bulk_query(driver, BACKFILL_SEARCH_ID)).consume()
            session.run(bulk_query(driver, BASELINE_ANNOUNCED)).consume()
        seconds = max(1, int(timeouts(driver).bulk_s))
        driver.execute_query(bulk_query(driver, AWAIT_INDEXES), {"seconds": seconds}, database_=database)
    return MigrationReport(tuple(created), tuple(existing), time.perf_counter() - began)


def ensure_schema(driver: Driver, database: str = "neo4j") -> None:
    """:func:`migrate` without its report (scripts and tests that set up a graph)."""
    migrate(driver, database)
