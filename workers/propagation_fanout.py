"""The full recompute of propagation results, shared among the propagation workers.

:func:`recompute_all_models` does what :func:`graph.results.recompute.recompute_all` does in one
process, but in parallel: it loads the licence knowledge base (once, here), lists every model
id a page at a time, and sends a Celery ``group`` of ``lineage.propagation.recompute_models``
tasks, one per page, to the propagation queue. Each page is independent (read with its
ancestors, stored in idempotent transactions), so pages run on as many worker processes as
consume that queue, and a page that fails can simply be sent again. The caller (``lineage
propagate --all``, the demo) then waits for the group, bounded by ``timeout_s``, and adds up
the pages' reports.

Callers without a broker use ``recompute_all`` (sequential, in-process) instead.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import structlog
from celery import group
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import GroupResult
from neo4j import Driver

from graph.results.recompute import PAGE, MaterialiseReport, Progress, load_knowledge_base, model_pages
from workers.app import app
from workers.errors import RecomputeIncomplete
from workers.queues import Queue
from workers.settings import WorkerSettings
from workers.tasks.propagation import recompute_models

__all__ = ["propagation_workers", "recompute_all_models"]

log = structlog.get_logger(__name__)

POLL_S = 0.5
"""How often the caller looks at the group's progress."""

COLLECT_S = 60.0
"""How long reading the finished pages' results may take."""

PING_S = 2.0
"""How long the workers are given to say which queues they consume."""


def propagation_workers(timeout_s: float = PING_S) -> list[str]:
    """The workers that consume the propagation queue now (empty: none answered within ``timeout_s``)."""
    answers = app.control.inspect(timeout=timeout_s).active_queues() or {}
    return sorted(name for name, queues in answers.items()
                  if any(q.get("name") == Queue.PROPAGATION.value for q in queues or ()))


def recompute_all_models(
    driver: Driver,
    *,
    database: str | None = None,
    progress: Progress | None = None,
    page_size: int = PAGE,
    timeout_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    batch: str | None = None,
) -> MaterialiseReport:
    """Load the knowledge base, then have the propagation workers store every model's result, a page per task.

    Raises :class:`~workers.errors.RecomputeIncomplete` when no worker consumes the propagation
    queue, a page fails, or the group has not finished after ``timeout_s`` (default
    ``LINEAGE_RECOMPUTE_ALL_TIMEOUT_S``); the pages stored until then are kept.
    """
    began = time.perf_counter()
    limit = WorkerSettings().recompute_all_timeout_s if timeout_s is None else timeout_s
    if not propagation_workers():
        raise RecomputeIncomplete(
            f"no worker consumes the {Queue.PROPAGATION.value!r} queue; start one, or recompute in this process"
        )
    total = load_knowledge_base(driver, database=database)
    pages = list(model_pages(driver, database=database, page_size=page_size))
    if not pages:
        return MaterialiseReport(asked=total)
    sent = group(recompute_models.s(page, batch).set(queue=Queue.PROPAGATION.value) for page in pages).apply_async()
    log.info("propagation.fanout_sent", pages=len(pages), models=total, group_id=sent.id)
    try:
        _wait(sent, pages, total, limit, progress, sleep)
        failed = [result for result in sent.results if result.state == "FAILURE"]
        if failed:
            error = failed[0].result  # the page's own error, rebuilt from the result backend
            raise RecomputeIncomplete(f"{len(failed)} page(s) of the full recompute failed, first: "
                                      f"{type(error).__name__}: {error}")
        figures = sent.get(timeout=COLLECT_S, propagate=True)  # every page has finished: this only reads
    except RecomputeIncomplete:
        sent.revoke()
        raise
    except CeleryTimeoutError as exc:
        sent.revoke()
        raise RecomputeIncomplete(f"the pages' results could not be read within {COLLECT_S:.0f}s") from exc
    finally:
        with contextlib.suppress(Exception):  # housekeeping: the results expire anyway
            sent.forget()
    report = MaterialiseReport()
    for counts in figures:
        report.merge(MaterialiseReport.from_counts(counts))  # the pages' asked add up to every model
    report.seconds = time.perf_counter() - began
    log.info("propagation.fanout_done", pages=len(pages), computed=report.computed, cleared=report.cleared,
             seconds=round(report.seconds, 3))
    return report


def _wait(sent: GroupResult, pages: list[list[str]], total: int, limit: float, progress: Progress | None,
          sleep: Callable[[float], None]) -> None:
    """Wait until every page has finished (or one failed), reporting the models of finished pages."""
    deadline = time.monotonic() + limit
    listed = sum(len(page) for page in pages)
    while True:
        states = [result.state for result in sent.results]
        if "FAILURE" in states:
            return  # get() raises the page's error
        done = sum(len(page) for page, state in zip(pages, states, strict=True) if state == "SUCCESS")
        if progress:
            progress(done, total)
        if done == listed:
            return
        if time.monotonic() >= deadline:
            raise RecomputeIncomplete(f"the full recompute did not finish within {limit:.0f}s "
                                      f"({done:,} of {total:,} models stored)")
        sleep(POLL_S)
