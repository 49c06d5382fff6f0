"""``lineage import PATH``: bootstrap the graph from a Parquet dump of Hub model metadata (docs/import.md).

Mount with ``app.command(name="import")(import_dump)`` in ``lineage/cli.py``.

Exit status: 0 when every row was read (bad rows are problems in the report, not failures);
2 when the file cannot be used (not Parquet, unreadable, a required column missing — nothing is
written); 1 when the graph fails (unreachable at the start, missing schema, unavailable for longer
than LINEAGE_IMPORT_RETRY_MAX_WAIT_S, a permanent error) — rerun with ``--resume``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import structlog
import typer
from neo4j import Driver
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dumps.errors import CheckpointMismatch, DumpError, DumpUnreadable, MissingColumns
from dumps.importer import Checkpoint, DumpImporter, run_id_of
from dumps.reader import DumpFile, open_dump
from dumps.report import ImportReport
from workers.notify import CLI_PATIENCE_S, send_dispatch
from dumps.settings import ImportSettings
from graph.db import sync_driver
from graph.errors import GraphError, GraphUnavailable
from graph.schema import missing_schema
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter
from lineage.console import console, fail

__all__ = ["import_dump", "render_report"]

_UNUSABLE_FILE = 2


def import_dump(
    path: Annotated[Path, typer.Argument(help="A Parquet dump of Hub model metadata (e.g. hub-stats models.parquet).")],
    batch_rows: Annotated[
        int | None, typer.Option(min=1, max=200_000, help="Rows per write (default LINEAGE_IMPORT_BATCH_ROWS, 10000).")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Import at most this many rows (from the start or the checkpoint).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the checkpoint's next row instead of row 0.")] = False,
    checkpoint: Annotated[
        Path | None, typer.Option(help="Checkpoint file (default: PATH with .import-checkpoint.json appended).")
    ] = None,
) -> None:
    """Import every model of a Hub metadata dump into the graph, without calling the Hub API.

    Each row goes the way a listed model goes in a sweep (Hub JSON, ModelInfo, observe_listed, GraphWriter); its evidence names the file and the row (file:///…#row=N).

    Progress shows rows/s; the final table counts rows, models, derivations, licences, and problems by kind with samples.

    After each batch the checkpoint records the next row: --resume continues there. Neo4j: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD.
    """
    if not structlog.is_configured():  # the table is the output; library log lines are not
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    settings = ImportSettings() if batch_rows is None else ImportSettings(batch_rows=batch_rows)
    try:
        dump = open_dump(path)
    except (MissingColumns, DumpUnreadable) as exc:
        fail(str(exc), code=_UNUSABLE_FILE)
    keeper = Checkpoint(checkpoint or dump.path.with_name(dump.path.name + ".import-checkpoint.json"))
    neo4j = Neo4jSettings()
    driver = sync_driver(neo4j)
    try:
        _check_graph(driver, neo4j)
        writer = GraphWriter(driver, database=neo4j.database, batch_size=neo4j.batch_size)
        report = _run(DumpImporter(writer, settings), dump, keeper, limit=limit, resume=resume)
    except CheckpointMismatch as exc:
        fail(str(exc), code=_UNUSABLE_FILE)
    except DumpError as exc:
        fail(str(exc))
    except GraphError as exc:
        fail(f"the graph refused a write ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
             f"rows before the checkpoint in {keeper.path} are written — fix it and rerun with --resume")
    except OSError as exc:
        fail(f"cannot write the checkpoint {keeper.path}: {exc}")
    finally:
        driver.close()
    send_dispatch(run_id_of(dump), patience_s=CLI_PATIENCE_S)  # the watches hear of what the import changed (or beat's leftover sweep does)
    console.print(render_report(report))


def _check_graph(driver: Driver, neo4j: Neo4jSettings) -> None:
    try:
        missing = missing_schema(driver, neo4j.database)
    except GraphUnavailable:
        fail(f"cannot reach Neo4j at {neo4j.uri}; start it (lineage dev up) or set NEO4J_URI")
    if missing:
        fail(f"the graph at {neo4j.uri} lacks {', '.join(missing)}; run: lineage migrate")


def _run(importer: DumpImporter, dump: DumpFile, keeper: Checkpoint, *, limit: int | None, resume: bool) -> ImportReport:
    columns = (
        TextColumn("[bold]import"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows  {task.fields[rate]:,.0f} rows/s  models {task.fields[models]:,}  problems {task.fields[problems]:,}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("import", total=dump.num_rows, rate=0.0, models=0, problems=0)

        def show(report: ImportReport) -> None:
            progress.update(task, completed=report.next_row, rate=report.rows_per_s, models=report.models,
                            problems=sum(report.problems.values()))

        importer.on_batch = show
        return importer.run(dump, limit=limit, checkpoint=keeper, resume=resume)


def render_report(report: ImportReport) -> Table:
    """An import's report as a rich table (like ``lineage crawl``'s)."""
    table = Table(title=f"import {report.path}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("evidence", f"{report.revision}; observed at: {report.observed_from}")
    resumed = f" (resumed at row {report.start_row:,})" if report.start_row else ""
    table.add_row("rows read", f"{report.rows_read:,}{resumed}; next row {report.next_row:,}")
    table.add_row("models written", f"{report.models:,} ({report.rows_without_model:,} rows without a usable model)")
    table.add_row("derivations", f"{report.derivations:,} pieces of evidence (a tag and an agreeing card are two); "
                  f"lineage from baseModels in {report.base_models_used:,} rows")
    table.add_row("licences declared", f"{report.licenses:,}")
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.problems.items())) or "none"
    table.add_row("problems", f"{sum(report.problems.values()):,}: {kinds}")
    for kind, samples in sorted(report.samples.items()):
        for sample in samples[:5]:
            table.add_row("", f"[dim]{kind}[/] {sample[:160]}")
    if report.retries:
        table.add_row("graph retries", f"{report.retries} ({report.retry_wait_s:.1f} s waited)")
    table.add_row("seconds", f"{report.seconds:.1f} (read {report.read_s:.1f}, ModelInfo {report.convert_s:.1f}, "
                  f"observe {report.observe_s:.1f}, write {report.write_s:.1f})")
    table.add_row("rows/s", f"{report.rows_per_s:,.0f}")
    return table
