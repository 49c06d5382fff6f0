"""``lineage propagate [--all | ID…]``: compute propagation results and store them on the graph."""

from __future__ import annotations

from typing import Annotated

import typer
from neo4j import Driver
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from graph.db import sync_driver
from graph.errors import GraphError
from terms.licenses.errors import LicenseStoreError
from graph.results.recompute import (
    MaterialiseReport,
    materialise,
    recompute_affected,
    recompute_all,
)
from graph.settings import Neo4jSettings
from lineage.console import console, fail

__all__ = ["propagate"]


def propagate(
    ids: Annotated[list[str] | None, typer.Argument(help="Models whose facts changed (ids as on the hub).")] = None,
    all_models: Annotated[
        bool, typer.Option("--all", help="Recompute every model (and reload the licence knowledge base).")
    ] = False,
    only: Annotated[
        bool, typer.Option("--only", help="Recompute the named models only, not their descendants.")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="Processes sharing a large recompute (each writes through its own "
                                              "connection).")
    ] = 1,
) -> None:
    """Compute the effective terms, conflicts, commercial and AI Act status of models and store them.

    With IDs: those models and every descendant (what changes when an ancestor's licence,
    relation or parents change), parents first. With --all: the licence knowledge base is
    loaded into License/Term nodes, then every model is recomputed. Neo4j is reached through
    NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD.
    """
    if all_models == bool(ids):
        fail("name the models to recompute, or pass --all (not both)")
    settings = Neo4jSettings()
    driver = sync_driver(settings)
    columns = (TextColumn("[bold]propagating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("models", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            def connect() -> Driver:
                return sync_driver(settings)

            db = settings.database
            report: MaterialiseReport
            if all_models:
                report = recompute_all(driver, database=db, progress=progress, workers=workers, connect=connect)
            elif only:
                report = materialise(driver, ids or [], database=db, progress=progress, workers=workers,
                                     connect=connect)
            else:
                report = recompute_affected(driver, ids or [], database=db, progress=progress, workers=workers,
                                            connect=connect)
    except (GraphError, LicenseStoreError) as exc:
        fail(str(exc))
    finally:
        driver.close()
    _show(report)


def _show(report: MaterialiseReport) -> None:
    table = Table("", "value", show_header=False)
    table.add_row("models stored", f"{report.computed:,}")
    table.add_row("without a result (not crawled)", f"{report.cleared:,}")
    table.add_row("models read (ancestors included)", f"{report.view_models:,}")
    table.add_row("read round trips / write transactions", f"{report.round_trips} / {report.transactions}")
    table.add_row("time (load / compute / waiting for writes)",
                  f"{report.seconds:.1f}s ({report.load_seconds:.1f} / {report.compute_seconds:.1f} / "
                  f"{report.write_wait_seconds:.1f})")
    console.print(table)
