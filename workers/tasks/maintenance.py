"""Scheduled tasks (sent by beat, see :mod:`workers.beat`): refresh known models; un-stall jobs; sweep the hub."""

from __future__ import annotations

import structlog

from workers import pipeline
from workers.app import app
from workers.beat import REFRESH_TASK, RESEND_STALLED_TASK, SWEEP_START_TASK
from workers.client import CrawlClient
from workers.context import resources
from workers.queues import Queue
from workers.scheduled_refresh import start_refresh

__all__ = ["refresh", "resend_stalled", "start_incremental_sweep"]

log = structlog.get_logger(__name__)


@app.task(name=REFRESH_TASK, queue=Queue.HUB.value, acks_late=True, ignore_result=True)
def refresh() -> str | None:
    """Start a crawl job re-reading known models that changed on the hub or were not seen for a while."""
    return start_refresh(resources())


@app.task(name=RESEND_STALLED_TASK, queue=Queue.MAINTENANCE.value, acks_late=True, ignore_result=True)
def resend_stalled() -> dict[str, list[str]]:
    """Send again the outstanding units of jobs that made no progress for ``stall_after_s``."""
    res = resources()
    return pipeline.resend_stalled(res.jobs, res.settings)


@app.task(name=SWEEP_START_TASK, queue=Queue.MAINTENANCE.value, acks_late=True, ignore_result=True)
def start_incremental_sweep() -> str | None:
    """Start an incremental sweep of the configured hub, unless a sweep of it is still running."""
    job_id = CrawlClient(resources().settings).request_sweep(full=False, if_idle=True)
    log.info("sweep.scheduled", crawl_id=job_id, started=job_id is not None)
    return job_id
