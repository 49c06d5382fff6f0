"""Hub task of a sweep (hub queue): one page of the hub's model listing; the work is in :mod:`workers.sweepjob`."""

from __future__ import annotations

from celery import Task

from workers import pipeline, sweepjob
from workers.app import app
from workers.contract import TASK_SWEEP_PAGE
from workers.queues import Queue
from workers.settings import WorkerSettings
from workers.tasks.base import execute, retry_options

__all__ = ["sweep_page"]

_RETRIES = WorkerSettings().unit_retries


@app.task(name=TASK_SWEEP_PAGE, queue=Queue.HUB.value, **retry_options(_RETRIES))
def sweep_page(self: Task, job_id: str, unit_key: str, page: int, url: str, stop_before: str | None) -> None:
    """Read page ``page`` of the listing at ``url`` (empty: the first page), write its models, spawn the next page."""
    unit = pipeline.sweep_unit(page, url, stop_before)
    execute(self, job_id, unit, lambda run: sweepjob.run_sweep_page(run, page, url, stop_before))
