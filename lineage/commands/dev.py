"""``lineage dev up|down|status``: the local Neo4j and Redis (``up`` also migrates the graph schema)."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from lineage.console import console, fail
from lineage.stack import Neo4jServer, RedisServer, ServiceStatus, StackError, StackSettings

__all__ = ["app"]

app = typer.Typer(help="Start, stop and inspect the local Neo4j and Redis.", no_args_is_help=True)


def _servers(settings: StackSettings) -> list[Neo4jServer | RedisServer]:
    return [Neo4jServer(settings), RedisServer(settings)]


def _show(statuses: list[ServiceStatus]) -> None:
    table = Table("service", "state", "pid", "url", "data")
    for status in statuses:
        state = "[green]running[/]" if status.running else "[red]stopped[/]"
        if status.started:
            state = "[green]started[/]"
        table.add_row(status.name, state, str(status.pid or "-"), status.url, str(status.data_dir))
    console.print(table)


@app.command()
def up() -> None:
    """Start Neo4j and Redis (each only if it is not already running), wait until they answer, and
    apply the graph schema (``lineage migrate``)."""
    settings = StackSettings()
    started = time.monotonic()
    statuses = []
    try:
        for server in _servers(settings):
            with console.status(f"starting {server.name} …"):
                status = server.start()
            if not status.started:
                console.print(f"{server.name} is already running (pid {status.pid}); left as it is")
            statuses.append(status)
    except StackError as exc:
        fail(str(exc))
    _show(statuses)
    _migrate(statuses[0].url)
    console.print(f"ready in {time.monotonic() - started:.1f}s")
    console.print(f"export NEO4J_URI={statuses[0].url} REDIS_URL={statuses[1].url}")


def _migrate(neo4j_url: str) -> None:
    from graph.errors import GraphError
    from graph.settings import Neo4jSettings
    from lineage.commands.migrate import apply_migrations

    try:
        with console.status("migrating the graph schema …"):
            report = apply_migrations(Neo4jSettings(uri=neo4j_url))
    except GraphError as exc:
        fail(f"Neo4j is running but the schema migration failed (retry with `lineage migrate`): {exc}")
    console.print(f"graph schema: {len(report.created)} created, {len(report.existing)} existed")


@app.command()
def down() -> None:
    """Stop Redis and Neo4j cleanly; committed data stays in the state folder."""
    settings = StackSettings()
    for server in reversed(_servers(settings)):
        with console.status(f"stopping {server.name} …"):
            stopped = server.stop()
        console.print(f"{server.name}: {'stopped' if stopped else 'was not running'}")


@app.command()
def fetch() -> None:
    """Download the Neo4j jars from Maven Central (once) and compile the launcher."""
    from lineage.stack.jars import ensure_launcher, ensure_neo4j_jars

    settings = StackSettings()
    try:
        with console.status(f"resolving Neo4j {settings.neo4j_version} from Maven Central …"):
            lib = ensure_neo4j_jars(settings)
            ensure_launcher(settings, lib)
    except StackError as exc:
        fail(str(exc))
    console.print(f"Neo4j {settings.neo4j_version} jars in {lib}")


@app.command()
def status() -> None:
    """Show whether Neo4j and Redis are running, where, and with which data folder."""
    statuses = [server.status() for server in _servers(StackSettings())]
    _show(statuses)
    if not all(s.running for s in statuses):
        raise typer.Exit(3)
