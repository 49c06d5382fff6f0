"""``lineage propagate [--all [--local] | ID…]``: compute propagation results and store them on the graph.

``--all`` shares the pages of models among the propagation workers (a Celery group, see
:mod:`workers.propagation_fanout`); ``--all --local`` does the same work in this process, one
page after another, for a machine without a broker. Named models (and their descendants) are
recomputed in this process.
"""

from __future__ import annotations

from typing import Annotated

import typer
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
    recompute_batch,
)
from graph.settings import Neo4jSettings
from lineage.console import console, fail
from workers.errors import RecomputeIncomplete
from workers.notify import CLI_PATIENCE_S, send_dispatch

__all__ = ["propagate"]


def propagate(
    ids: Annotated[list[str] | None, typer.Argument(help="Models whose facts changed (ids as on the hub).")] = None,
    all_models: Annotated[
        bool, typer.Option("--all", help="Recompute every model (and reload the licence knowledge base).")
    ] = False,
    only: Annotated[
        bool, typer.Option("--only", help="Recompute the named models only, not their descendants.")
    ] = False,
    local: Annotated[
        bool, typer.Option("--local", help="With --all: compute in this process, page after page, instead of "
                                           "sharing the pages among the propagation workers (REDIS_URL).")
    ] = False,
) -> None:
    """Compute the effective terms, conflicts, commercial and AI Act status of models and store them.

    With IDs: those models and every descendant (what changes when an ancestor's licence,
    relation or parents change), parents first, in this process. With --all: the licence
    knowledge base is loaded into License/Term nodes, then every model is recomputed by the
    propagation workers, a page of models per task (or here, with --local). Neo4j is reached
    through NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, the workers through REDIS_URL.
    """
    if all_models == bool(ids):
        fail("name the models to recompute, or pass --all (not both)")
    if local and not all_models:
        fail("--local goes with --all (named models are always recomputed in this process)")
    settings = Neo4jSettings()
    driver = sync_driver(settings)
    columns = (TextColumn("[bold]propagating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("models", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            db = settings.database
            batch = recompute_batch()  # the change records the new results make; then dispatched to the watches
            report: MaterialiseReport
            if all_models and local:
                report = recompute_all(driver, database=db, progress=progress, batch=batch)
            elif all_models:
                from workers.propagation_fanout import recompute_all_models

                report = recompute_all_models(driver, database=db, progress=progress, batch=batch)
            elif only:
                report = materialise(driver, ids or [], database=db, progress=progress, batch=batch)
            else:
                report = recompute_affected(driver, ids or [], database=db, progress=progress, batch=batch)
    except (GraphError, LicenseStoreError, RecomputeIncomplete) as exc:
        fail(str(exc))
    finally:
        driver.close()
    if report.changes:
        send_dispatch(batch, patience_s=CLI_PATIENCE_S)
    _show(report)


def _show(report: MaterialiseReport) -> None:
    table = Table("", "value", show_header=False)
    table.add_row("models stored", f"{report.computed:,}")
    table.add_row("without a result (not crawled)", f"{report.cleared:,}")
    table.add_row("models read (ancestors included)", f"{report.view_models:,}")
    table.add_row("change records (effective terms, conflicts)", f"{report.changes:,}")
    table.add_row("read round trips / write transactions", f"{report.round_trips} / {report.transactions}")
    table.add_row("time (load / compute / waiting for writes)",
                  f"{report.seconds:.1f}s ({report.load_seconds:.1f} / {report.compute_seconds:.1f} / "
                  f"{report.write_wait_seconds:.1f})")
    console.print(table)
