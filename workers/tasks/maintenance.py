"""Scheduled tasks (sent by beat, see :mod:`workers.beat`): refresh known models; un-stall jobs."""

from __future__ import annotations

import structlog

from workers import pipeline
from workers.app import app
from workers.beat import REFRESH_TASK, SWEEP_TASK
from workers.context import resources
from workers.queues import Queue
from workers.scheduled_refresh import start_refresh

__all__ = ["refresh", "sweep"]

log = structlog.get_logger(__name__)


@app.task(name=REFRESH_TASK, queue=Queue.HUB.value, acks_late=True, ignore_result=True)
def refresh() -> str | None:
    """Start a crawl job re-reading known models that changed on the hub or were not seen for a while."""
    return start_refresh(resources())


@app.task(name=SWEEP_TASK, queue=Queue.MAINTENANCE.value, acks_late=True, ignore_result=True)
def sweep() -> dict[str, list[str]]:
    """Send again the outstanding units of jobs that made no progress for ``stall_after_s``."""
    res = resources()
    return pipeline.resend_stalled(res.jobs, res.settings)
