"""Propagation tasks (propagation queue): recompute the stored licence propagation results of models.

Thin wrappers around :mod:`graph.results.recompute`, whose transactions are idempotent:

* ``lineage.propagation.recompute(model_ids)`` — the models and every descendant, parents first,
  for any caller that changed some models' facts (the API after registering a deployment);
* ``lineage.propagation.recompute_models(model_ids)`` — exactly these models: one page of a
  full recompute sent as a group (:mod:`workers.propagation_fanout`); returns its report's figures;
* ``lineage.crawl.propagate(job_id, unit)`` — a crawl job's last unit (after ``finalize``): the
  models the job wrote (their facts may have changed) and their descendants.
"""

from __future__ import annotations

import structlog
from celery import Task

from graph.results.recompute import PAGE, load_knowledge_base, materialise, model_page, recompute_affected
from workers import pipeline
from workers.app import app
from workers.context import Resources, resources
from workers.contract import TASK_PROPAGATE, TASK_PROPAGATE_PAGE, TASK_RECOMPUTE, TASK_RECOMPUTE_MODELS, JobState
from workers.queues import Queue
from workers.settings import WorkerSettings
from workers.notify import send_dispatch
from workers.tasks.base import RETRYABLE, graph_busy_is_transient, retry_options

__all__ = ["propagate_job", "propagate_page", "recompute", "recompute_models"]

log = structlog.get_logger(__name__)

_RETRIES = WorkerSettings().write_retries
_RECOMPUTE_OPTIONS = {
    "queue": Queue.PROPAGATION.value, "bind": True, "acks_late": True, "autoretry_for": RETRYABLE,
    "retry_backoff": True, "retry_jitter": True, "max_retries": _RETRIES,
    "retry_backoff_max": WorkerSettings().retry_backoff_max_s,
}


@app.task(name=TASK_RECOMPUTE, ignore_result=True, **_RECOMPUTE_OPTIONS)
def recompute(self: Task, model_ids: list[str], batch: str | None = None) -> int:
    """Recompute these models and their descendants; returns the results stored.

    ``batch`` names the write batch that changed them (their change records join its own); the
    batch's changes are then dispatched to the watches.
    """
    res = resources()
    with graph_busy_is_transient():
        report = recompute_affected(res.driver(), model_ids, database=res.neo4j.database, batch=batch)
    if batch is not None:
        send_dispatch(batch)
    return report.computed


@app.task(name=TASK_RECOMPUTE_MODELS, ignore_result=False, **_RECOMPUTE_OPTIONS)
def recompute_models(self: Task, model_ids: list[str], batch: str | None = None) -> dict[str, float]:
    """Recompute exactly these models (a page of a full recompute); returns the figures of its report."""
    res = resources()
    with graph_busy_is_transient():
        report = materialise(res.driver(), model_ids, database=res.neo4j.database, batch=batch)
    return report.counts()


@app.task(name=TASK_PROPAGATE, queue=Queue.PROPAGATION.value, **retry_options(_RETRIES))
def propagate_job(self: Task, job_id: str, unit_key: str) -> None:
    """Recompute propagation for what a crawl job wrote (and their descendants), then finish the job."""
    res = resources()
    store = res.jobs
    if store.is_done(job_id, unit_key) or store.state(job_id) is None:
        return
    written = store.written(job_id)
    pages: list[pipeline.Unit] = []
    if written and store.state(job_id) is not JobState.CANCELLED:
        with graph_busy_is_transient():
            if len(written) > res.settings.propagate_pages_over:
                pages = _every_model_in_pages(res)
            else:
                report = recompute_affected(res.driver(), written, database=res.neo4j.database, batch=job_id)
                log.info("crawl.propagated", crawl_id=job_id, computed=report.computed,
                         seconds=round(report.seconds, 1))
    store.account(job_id, unit_key, {})
    pipeline.enqueue(store, job_id, pages, res.settings)
    pipeline.complete(store, job_id, unit_key, res.settings)


def _every_model_in_pages(res: Resources) -> list[pipeline.Unit]:
    """The knowledge base loaded once, then one unit per page of model ids (a page names where it starts)."""
    driver, database = res.driver(), res.neo4j.database
    load_knowledge_base(driver, database=database)
    units: list[pipeline.Unit] = []
    after: str | None = None
    while ids := model_page(driver, after, PAGE, database=database):
        units.append(pipeline.propagate_page_unit(len(units), after, ids[-1]))
        after = ids[-1]
    return units


@app.task(name=TASK_PROPAGATE_PAGE, queue=Queue.PROPAGATION.value, **retry_options(_RETRIES))
def propagate_page(self: Task, job_id: str, unit_key: str, after: str | None, until: str) -> None:
    """Recompute the models with ids in (``after``, ``until``]: one page of every model's propagation."""
    res = resources()
    store = res.jobs
    if store.is_done(job_id, unit_key) or store.state(job_id) is None:
        return
    if store.state(job_id) is not JobState.CANCELLED:
        with graph_busy_is_transient():
            # (models added since the page was planned fall inside some page's range too)
            ids = [m for m in model_page(res.driver(), after, 2 * PAGE, database=res.neo4j.database) if m <= until]
            materialise(res.driver(), ids, database=res.neo4j.database, batch=job_id)
    store.account(job_id, unit_key, {})
    pipeline.complete(store, job_id, unit_key, res.settings)
