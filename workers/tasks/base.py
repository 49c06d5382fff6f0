"""What every unit task shares: retry policy, the run protocol, and failure reporting.

The protocol of a unit task (:func:`execute`): return at once if the unit is finished (a
duplicate message); finish it without work if the job was cancelled; otherwise do the work,
add its counts and problems to the report (once per unit), register and send the units it
spawned, and only then finish it — so a crash at any point leaves the unit outstanding and
its redelivery redoes it harmlessly.

Retries: only the retryable branches (:data:`RETRYABLE`) are retried, by Celery's autoretry
with exponential backoff and full jitter. When they run out, or on any permanent error,
:meth:`UnitTask.on_failure` records the failure on the job (kind ``unit_failed``, with the
unit key, e.g. the batch of observations that was not written) and finishes the unit: the
job ends with the gap reported, never silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
import structlog
from celery import Task
from celery.signals import after_setup_logger
from neo4j.exceptions import ConnectionPoolError

from graph.errors import GraphPermanentError, GraphRetryableError
from workers import brokerfix, pipeline
from workers.context import resources
from workers.crawljob import UnitRun
from workers.errors import GraphBusyError, WorkersRetryableError
from workers.contract import JobState
from workers.pipeline import Unit
from workers.settings import WorkerSettings

__all__ = ["RETRYABLE", "UnitTask", "execute", "graph_busy_is_transient", "retry_options"]

log = structlog.get_logger(__name__)

brokerfix.install()  # a worker must survive its broker restarting (see workers.brokerfix)

RETRYABLE: tuple[type[BaseException], ...] = (
    WorkersRetryableError,
    GraphRetryableError,
    redis.ConnectionError,
    redis.TimeoutError,
)


@contextmanager
def graph_busy_is_transient() -> Iterator[None]:
    """A connection-pool timeout (an overloaded Neo4j) is filed by ``graph.errors`` as permanent: retry it instead."""
    try:
        yield
    except GraphPermanentError as exc:
        if isinstance(exc.__cause__, ConnectionPoolError):
            raise GraphBusyError(str(exc)) from exc
        raise


def retry_options(max_retries: int) -> dict[str, Any]:
    """Celery task options: autoretry of :data:`RETRYABLE` only, exponential backoff with jitter."""
    settings = WorkerSettings()
    return {
        "bind": True,
        "acks_late": True,
        "ignore_result": True,
        "autoretry_for": RETRYABLE,
        "retry_backoff": True,
        "retry_backoff_max": settings.retry_backoff_max_s,
        "retry_jitter": True,
        "max_retries": max_retries,
        "base": UnitTask,
    }


@after_setup_logger.connect
def _structlog_level(logger: logging.Logger, loglevel: int | str, **_: Any) -> None:
    """Give structlog the worker's log level (its default prints every level, debug included)."""
    level = loglevel if isinstance(loglevel, int) else logging.getLevelName(str(loglevel).upper())
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level if isinstance(level, int) else 20))


class UnitTask(Task):  # type: ignore[misc]  # celery ships no type information
    """A task whose first two arguments are a job id and a unit key."""

    def on_failure(self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                   einfo: Any) -> None:
        if len(args) < 2:
            return
        job_id, unit_key = str(args[0]), str(args[1])
        log.error("crawl.unit_failed", crawl_id=job_id, unit=unit_key, task_id=task_id, error=repr(exc))
        res = resources()
        try:
            res.jobs.account(
                job_id,
                unit_key,
                {},
                [{"model_id": unit_key, "kind": "unit_failed", "message": f"{type(exc).__name__}: {exc}"[:500]}],
            )
            pipeline.complete(res.jobs, job_id, unit_key, res.settings)
        except redis.RedisError as error:  # the sweep will send the unit again once Redis is back
            log.error("crawl.unit_failure_not_recorded", crawl_id=job_id, unit=unit_key, error=repr(error))


def execute(task: Task, job_id: str, unit: Unit, body: Callable[[UnitRun], None]) -> None:
    """Run a hub unit under the protocol above."""
    res = resources()
    store = res.jobs
    if store.is_done(job_id, unit.key):
        return
    options = store.options(job_id)
    if options is None:
        log.warning("crawl.job_unknown", crawl_id=job_id, unit=unit.key)
        return
    if store.state(job_id) is not JobState.RUNNING:
        pipeline.complete(store, job_id, unit.key, res.settings)
        return
    run = UnitRun(res, job_id, unit, options, final_attempt=task.request.retries >= (task.max_retries or 0))
    with graph_busy_is_transient():
        body(run)
    finish(run)


def finish(run: UnitRun) -> None:
    """Account, spawn, then finish (in that order: a crash in between is repaired by redelivery)."""
    store, settings = run.store, run.res.settings
    store.account(run.job_id, run.unit.key, run.counts, run.problems)
    pipeline.enqueue(store, run.job_id, run.spawned, settings)
    for unit, delay in run.countdown_units:
        pipeline.enqueue(store, run.job_id, [unit], settings, countdown=delay)
    pipeline.complete(store, run.job_id, run.unit.key, settings)
