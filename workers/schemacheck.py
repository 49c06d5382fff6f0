"""At worker start-up, check the graph schema and warn about what is missing; never create it.

Schema changes are made by ``lineage migrate`` only: a worker that created constraints while a
crawl's reads and writes ran would take the locks they wait on. The check is one read of
``SHOW INDEXES`` bounded by NEO4J_SCHEMA_CHECK_TIMEOUT_S, in a thread, so the worker starts
consuming at once whatever it finds.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from celery.signals import worker_ready

from graph.db import sync_driver
from graph.errors import GraphError
from graph.schema import missing_schema
from graph.settings import Neo4jSettings

__all__ = ["check_schema", "install"]

log = structlog.get_logger(__name__)


def check_schema(settings: Neo4jSettings | None = None) -> tuple[str, ...] | None:
    """The missing constraints and indexes (logged as a warning), or None when Neo4j could not be asked."""
    settings = settings or Neo4jSettings()
    try:
        with sync_driver(settings) as driver:
            missing = missing_schema(driver, settings.database)
    except GraphError as exc:
        log.warning("graph schema not checked", neo4j=settings.uri, reason=str(exc) or type(exc).__name__)
        return None
    if missing:
        log.warning(
            "graph schema incomplete: writes will be slow and duplicates possible until `lineage migrate` runs",
            neo4j=settings.uri,
            missing=list(missing),
        )
    return missing


def _on_ready(**_: Any) -> None:
    threading.Thread(target=check_schema, name="schema-check", daemon=True).start()


def install() -> None:
    """Check the schema whenever a worker of this process becomes ready (idempotent)."""
    worker_ready.connect(_on_ready, weak=False, dispatch_uid="lineage-schema-check")
