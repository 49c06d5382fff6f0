"""Hub tasks of a crawl job (hub queue): a seed up to its roots, a level of children, deployers.

Each takes the job id, its unit key and ids; the work itself is in :mod:`workers.crawljob`.
"""

from __future__ import annotations

from celery import Task

from workers import crawljob, pipeline
from workers.app import app
from workers.contract import TASK_CHILDREN, TASK_DEPLOYERS, TASK_SEED
from workers.queues import Queue
from workers.settings import WorkerSettings
from workers.tasks.base import execute, retry_options

__all__ = ["crawl_children", "crawl_deployers", "crawl_seed"]

_RETRIES = WorkerSettings().unit_retries


@app.task(name=TASK_SEED, queue=Queue.HUB.value, **retry_options(_RETRIES))
def crawl_seed(self: Task, job_id: str, unit_key: str, model_id: str) -> None:
    """Crawl a seed model (upwards to its roots unless the job says not), then spawn children and deployers."""
    unit = pipeline.seed_unit(model_id)
    execute(self, job_id, unit, lambda run: crawljob.run_seed(run, model_id))


@app.task(name=TASK_CHILDREN, queue=Queue.HUB.value, **retry_options(_RETRIES))
def crawl_children(self: Task, job_id: str, unit_key: str, depth: int, parents: list[str], attempt: int) -> None:
    """List the children of ``parents`` (level ``depth`` below a seed), many per request."""
    unit = pipeline.children_unit(depth, parents, attempt)
    execute(self, job_id, unit, lambda run: crawljob.run_children(run, depth, parents, attempt))


@app.task(name=TASK_DEPLOYERS, queue=Queue.HUB.value, **retry_options(_RETRIES))
def crawl_deployers(self: Task, job_id: str, unit_key: str, model_id: str) -> None:
    """Spaces and inference providers serving a model."""
    unit = pipeline.deployers_unit(model_id)
    execute(self, job_id, unit, lambda run: crawljob.run_deployers(run, model_id))
