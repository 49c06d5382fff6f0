"""``lineage migrate``: create the graph's constraints and indexes — the only place schema changes are made.

The API and the workers never change the schema (a schema change takes locks their reads and
writes would wait on); they check it and name what is missing. ``lineage dev up``, the demo,
the test fixtures and the compose ``migrate`` service run this before anything else.
"""

from __future__ import annotations

from rich.table import Table

from graph.db import sync_driver
from graph.errors import GraphError, GraphUnavailable
from graph.schema import SCHEMA, MigrationReport, migrate
from graph.settings import Neo4jSettings
from lineage.console import console, fail

__all__ = ["apply_migrations", "migrate_command", "show"]


def apply_migrations(settings: Neo4jSettings | None = None) -> MigrationReport:
    """Apply the schema to the graph ``settings`` point at (NEO4J_* by default); raises GraphError on failure."""
    settings = settings or Neo4jSettings()
    with sync_driver(settings) as driver:
        return migrate(driver, settings.database)


def migrate_command() -> None:
    """Create the graph's missing constraints and indexes (idempotent) and wait until they are online.

    Neo4j is reached through NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD. Exits 1 with one line when
    Neo4j cannot be reached or a statement fails.
    """
    settings = Neo4jSettings()
    try:
        with console.status(f"migrating the graph schema at {settings.uri} …"):
            report = apply_migrations(settings)
    except GraphUnavailable:
        fail(f"cannot reach Neo4j at {settings.uri}; start it (lineage dev up) or set NEO4J_URI")
    except GraphError as exc:
        fail(f"schema migration on {settings.uri} failed: {_one_line(exc)}")
    show(report)


def show(report: MigrationReport) -> None:
    """Print what a migration created and what already existed."""
    created = set(report.created)
    table = Table("name", "kind", "state", title="graph schema")
    for item in SCHEMA:
        state = "[green]created[/]" if item.name in created else "existed"
        table.add_row(item.name, item.kind, state)
    console.print(table)
    console.print(f"{len(report.created)} created, {len(report.existing)} existed, in {report.seconds:.1f}s")


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__
