"""The ``lineage`` command line."""

from __future__ import annotations

import typer

from lineage.commands import dev, export, hub, watch
from lineage.commands.changes import changes
from lineage.commands.crawl import crawl
from lineage.commands.sweep import sweep
from lineage.commands.demo import demo
from lineage.commands.importing import import_dump
from lineage.commands.investigate import investigate
from lineage.commands.migrate import migrate_command
from lineage.commands.propagate import propagate
from lineage.commands.service import serve, worker

__all__ = ["app"]

app = typer.Typer(
    help="Lineage: where each open-weight model came from, under which terms, and who is responsible for what.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(dev.app, name="dev")
app.add_typer(hub.app, name="hub")
app.add_typer(export.app, name="export")
app.add_typer(watch.app, name="watch")
app.command()(demo)
app.command()(crawl)
app.command()(sweep)
app.command(name="import")(import_dump)
app.command(name="migrate")(migrate_command)
app.command()(propagate)
app.command()(investigate)
app.command()(changes)
app.command()(serve)
app.command()(worker)

if __name__ == "__main__":
    app()
