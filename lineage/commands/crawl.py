"""``lineage crawl``: enqueue a crawl job, follow it, read its report, or cancel it.

Mount with ``app.command()(crawl)`` in ``lineage/cli.py``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Annotated

import structlog
import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from lineage.console import console, fail

if TYPE_CHECKING:
    from workers.client import CrawlClient
    from workers.contract import JobSnapshot

__all__ = ["crawl", "follow_job", "render_report"]

_POLL_S = 0.5


def crawl(
    seeds: Annotated[list[str] | None, typer.Argument(help="Model ids to start from, e.g. HuggingFaceH4/zephyr-7b-beta.")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="Hub URL, e.g. a replay hub (default: HF_ENDPOINT or huggingface.co).")
    ] = None,
    up: Annotated[bool, typer.Option("--up/--no-up", help="Follow declared base models up to the roots.")] = True,
    down: Annotated[int, typer.Option(min=0, help="Levels of children to list below each seed.")] = 0,
    deployers: Annotated[bool, typer.Option(help="Also list the Spaces and inference providers of each seed.")] = False,
    breadth: Annotated[int | None, typer.Option(min=1, help="Most children listed per model.")] = None,
    force: Annotated[bool, typer.Option(help="Re-read models whose sha has not changed since the last crawl.")] = False,
    wait: Annotated[bool, typer.Option(help="Show progress until the job ends, then print its report.")] = False,
    status: Annotated[str | None, typer.Option("--status", metavar="JOB_ID", help="Print the report of a job.")] = None,
    cancel: Annotated[str | None, typer.Option("--cancel", metavar="JOB_ID", help="Cancel a running job.")] = None,
) -> None:
    """Crawl SEED… into the graph with the Celery workers (start them with: lineage worker).

    Prints the job id; needs REDIS_URL and running workers.

    --wait: show models seen, written, queued and problems until the job ends, then its report.

    The report: counts, problems by kind, hub requests, duration. Ctrl-C stops waiting, not the job.

    --status JOB_ID [--wait]: print (or follow) a job's report. --cancel JOB_ID: cancel a job.
    """
    from workers.client import CrawlClient
    from workers.errors import InvalidCrawlRequest

    if not structlog.is_configured():  # the table is the output; library log lines are not
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        client = CrawlClient()
    except Exception as exc:  # noqa: BLE001 - settings or Redis URL unusable: one clear line
        fail(f"cannot reach the job store: {exc}")
    if cancel:
        if client.cancel(cancel):
            console.print(f"cancelled job [bold]{cancel}[/]; its queued work is dropped as workers reach it")
            return
        fail(f"job {cancel} is not running (unknown, finished or already cancelled)")
    if status:
        job_id = status
        if client.job(job_id) is None:
            fail(f"no job {job_id}")
    else:
        if not seeds:
            fail("name at least one seed model id (or use --status / --cancel JOB_ID)")
        try:
            job_id = client.request_crawl(seeds, up, down, deployers, endpoint, force=force, breadth=breadth)
        except InvalidCrawlRequest as exc:
            fail(str(exc))
        console.print(f"crawl job [bold]{job_id}[/] queued ({len(seeds)} seed(s))")
        if not wait:
            console.print(f"  follow it: lineage crawl --status {job_id} --wait   cancel: lineage crawl --cancel {job_id}")
            return
    if wait:
        follow_job(client, job_id)
    snapshot = client.job(job_id)
    if snapshot is None:
        fail(f"job {job_id} is no longer known to Redis (expired, or Redis lost its data)")
    console.print(render_report(snapshot))
    if snapshot.state.value == "running" and not wait:
        console.print("  still running")


def follow_job(client: CrawlClient, job_id: str) -> None:
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} units"),
        TextColumn("seen {task.fields[seen]}  written {task.fields[written]}  queued {task.fields[pending]}  "
                   "problems {task.fields[problems]}"),
        TimeElapsedColumn(),
    )
    last = None
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("running", total=1, seen=0, written=0, pending=0, problems=0)
            while True:
                snapshot = client.job(job_id)
                if snapshot is None:
                    break
                last = snapshot
                counters = snapshot.counters
                queued = max(counters["queued"], 1)
                progress.update(
                    task,
                    total=queued,
                    completed=queued - snapshot.pending,
                    description=snapshot.state.value,
                    seen=counters["models_seen"],
                    written=counters["models_written"],
                    pending=snapshot.pending,
                    problems=counters["problems"],
                )
                if snapshot.finished:
                    break
                time.sleep(_POLL_S)
    except KeyboardInterrupt:
        console.print(f"stopped waiting; job {job_id} goes on (cancel: lineage crawl --cancel {job_id})")
        raise typer.Exit(130) from None
    if last is not None and client.job(job_id) is None:
        console.print(render_report(last))
        fail(f"job {job_id} disappeared from Redis; the report above is the last one read")


def render_report(snapshot: JobSnapshot) -> Table:
    """A job's report as a rich table."""
    options = snapshot.options
    kind = "sweep" if options.is_sweep else "crawl"
    table = Table(title=f"{kind} {snapshot.id}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("state", snapshot.state.value + ("" if snapshot.pending <= 0 else f" ({snapshot.pending} units left)"))
    c = snapshot.counters
    if options.is_sweep:
        scope = "every listed model" if options.sweep == "full" else f"models modified since {options.since or 'the last sweep'}"
        table.add_row("listing", f"{scope}; {c['pages_listed']} pages of up to {options.page_size}")
    else:
        table.add_row("seeds", ", ".join(options.seeds[:5]) + (f" … (+{len(options.seeds) - 5})" if len(options.seeds) > 5 else ""))
    table.add_row("hub", options.endpoint)
    if not options.is_sweep:
        table.add_row("options", f"up={options.up} down={options.down} deployers={options.deployers} force={options.force}")
    table.add_row("models", f"{c['models_seen']} seen, {c['models_written']} written, "
                  f"{c['skipped_unchanged']} unchanged (not rewritten)")
    requests = c["hub_requests"]
    per_model = f" ({requests / c['models_seen']:.3f} per model seen)" if c["models_seen"] else ""
    table.add_row("hub requests", f"{requests}{per_model}")
    if options.sweep == "full":
        table.add_row("no longer listed", f"{c['marked_stale']} marked stale")
    table.add_row("units", f"{c['queued']} queued, {c['retries']} listings retried later, {c['resent_units']} resent")
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(snapshot.problems_by_kind.items())) or "none"
    table.add_row("problems", f"{c['problems']}: {kinds}")
    for sample in snapshot.problem_samples[:10]:
        table.add_row("", f"[dim]{sample.get('kind')}[/] {sample.get('model_id')}: {sample.get('message', '')[:160]}")
    table.add_row("duration", f"{snapshot.duration_s:.1f} s")
    return table
