"""Diagnostics: proves a worker is alive and can reach the graph."""

from __future__ import annotations

import socket
from typing import Any

from neo4j.exceptions import Neo4jError, ServiceUnavailable

from graph.db import read_query, sync_driver
from graph.settings import Neo4jSettings
from graph.statements.health import MODEL_COUNT
from workers.app import app
from workers.queues import Queue

__all__ = ["worker_report"]


@app.task(name="lineage.diagnostics.worker_report", queue=Queue.MAINTENANCE.value)
def worker_report() -> dict[str, Any]:
    """What this worker sees: its host name and whether Neo4j answers, with the number of models."""
    report: dict[str, Any] = {"hostname": socket.gethostname(), "neo4j": "unreachable", "models": None}
    settings = Neo4jSettings()
    try:
        with sync_driver(settings) as driver:
            records, _, _ = driver.execute_query(
                read_query(driver, MODEL_COUNT), database_=settings.database
            )
        report["neo4j"] = "ok"
        report["models"] = records[0]["models"]
    except (ServiceUnavailable, Neo4jError, OSError) as exc:
        report["error"] = type(exc).__name__
    return report
