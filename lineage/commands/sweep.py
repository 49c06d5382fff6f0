"""``lineage sweep``: list the whole hub (or what changed since the last sweep) into the graph.

Mount with ``app.command()(sweep)`` in ``lineage/cli.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

import structlog
import typer

from lineage.commands.crawl import follow_job, render_report
from lineage.console import console, fail

__all__ = ["sweep"]


def sweep(
    endpoint: Annotated[
        str | None, typer.Option(help="Hub URL, e.g. a replay hub (default: HF_ENDPOINT or huggingface.co).")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="List every model; models no longer listed are marked stale.")] = False,
    since: Annotated[
        str | None,
        typer.Option(help="List models modified since this ISO time (default: since the last sweep's high-water mark)."),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Show progress until the sweep ends, then print its report.")] = False,
) -> None:
    """Sweep the hub's model listing into the graph with the Celery workers (start them with: lineage worker).

    Every listed model's declared lineage (base_model tags and card), declared licence, gating, dates,
    counts, library and pipeline are written, in pages of up to 1,000 models, newest first. Without
    --full the sweep stops where the previous one began (its high-water mark), so an hour of hub churn
    costs a few requests. Prints the job id; follow it with --wait or lineage crawl --status JOB_ID.
    """
    from workers.client import CrawlClient
    from workers.errors import InvalidCrawlRequest

    if not structlog.is_configured():
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    when: datetime | None = None
    if since is not None:
        try:
            when = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--since must be an ISO time such as 2025-07-01T00:00:00Z, got {since!r}")
    try:
        client = CrawlClient()
        job_id = client.request_sweep(full=full, since=when, endpoint=endpoint)
    except InvalidCrawlRequest as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - settings or Redis unusable: one clear line
        fail(f"cannot reach the job store: {exc}")
    assert job_id is not None
    console.print(f"sweep job [bold]{job_id}[/] queued ({'full' if full else 'since ' + (since or 'the last sweep')})")
    if not wait:
        console.print(f"  follow it: lineage crawl --status {job_id} --wait   cancel: lineage crawl --cancel {job_id}")
        return
    follow_job(client, job_id)
    snapshot = client.job(job_id)
    if snapshot is None:
        fail(f"job {job_id} is no longer known to Redis (expired, or Redis lost its data)")
    console.print(render_report(snapshot))
