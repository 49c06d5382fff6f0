"""Graph tasks of a crawl job (graph queue): write a batch of observations; finalize the job.

A batch is stored in Redis by the hub task that read it (observations as JSON, see
:mod:`workers.serialize`) and named by the write task's arguments, so the message stays small
and a lost message can be sent again from its unit's spec. Writes are idempotent
(``GraphWriter``), so a redelivered batch changes nothing; while Neo4j is unreachable the task
retries with backoff. A batch that is gone (Redis lost it) has its producing unit reopened and
redone, and the loss is reported.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import structlog
from celery import Task

from crawler.observations import DerivationSeen, ModelSeen, ModelStatus, Observation
from graph.refresh import accept_first_observation, mark_seen, rebuild_ancestry
from workers import pipeline
from workers.app import app
from workers.context import resources
from workers.errors import PayloadError
from workers.jobs import Counter, JobState
from workers.queues import Queue
from workers.serialize import from_json
from workers.settings import WorkerSettings
from workers.tasks.base import retry_options

__all__ = ["finalize_job", "write_batch"]

log = structlog.get_logger(__name__)

_RETRIES = WorkerSettings().write_retries


def _decode(payload: str) -> tuple[list[Observation], list[tuple[str, str, datetime]]]:
    try:
        data: dict[str, Any] = json.loads(payload)
        observations = [from_json(item) for item in data["observations"]]
        touches = [(str(i), str(sha), datetime.fromisoformat(t)) for i, sha, t in data.get("seen_unchanged", [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"unreadable batch: {exc}") from exc
    return observations, touches


def _affected(observations: list[Observation]) -> list[str]:
    """Models whose ancestry may have changed: those seen, and the children of every derivation."""
    ids = {o.id for o in observations if isinstance(o, ModelSeen)}
    ids |= {o.child_id for o in observations if isinstance(o, DerivationSeen)}
    return sorted(ids)


@app.task(name=pipeline.TASK_WRITE, queue=Queue.GRAPH.value, **retry_options(_RETRIES))
def write_batch(self: Task, job_id: str, unit_key: str, batch_key: str, producer_key: str, producer_spec: str) -> None:
    """Write one stored batch of observations (and stamp the unchanged models it names as seen)."""
    res = resources()
    store = res.jobs
    if store.is_done(job_id, unit_key):
        return
    state = store.state(job_id)
    if state is None:
        log.warning("crawl.job_unknown", crawl_id=job_id, unit=unit_key)
        return
    if state is not JobState.RUNNING:
        pipeline.complete(store, job_id, unit_key, res.settings)
        store.delete_batch(job_id, batch_key)
        return
    payload = store.get_batch(job_id, batch_key)
    if payload is None:
        _redo_producer(job_id, unit_key, producer_key, producer_spec)
        return
    observations, touches = _decode(payload)
    driver = res.driver()
    if observations:
        own = [o.id for o in observations if isinstance(o, ModelSeen) and o.status is not ModelStatus.UNKNOWN]
        accept_first_observation(driver, own, database=res.neo4j.database)
        res.writer().write(observations, run_id=job_id)
    if touches:
        mark_seen(driver, touches, run_id=job_id, database=res.neo4j.database)
    store.add_written(job_id, _affected(observations))
    written = len({o.id for o in observations if isinstance(o, ModelSeen) and o.status is not ModelStatus.UNKNOWN})
    store.account(job_id, unit_key, {Counter.WRITTEN: written})
    pipeline.complete(store, job_id, unit_key, res.settings)
    store.delete_batch(job_id, batch_key)


def _redo_producer(job_id: str, unit_key: str, producer_key: str, producer_spec: str) -> None:
    """The batch is gone: reopen the unit that read it (if finished) so it reads and stores it again."""
    res = resources()
    store = res.jobs
    if store.reopen_unit(job_id, producer_key, producer_spec):
        pipeline.send(job_id, [pipeline.Unit.from_spec(producer_key, producer_spec)], res.settings)
        store.increment(job_id, {Counter.RESENT: 1})
        store.record_problems(
            job_id,
            [{"model_id": unit_key, "kind": "batch_lost_redone",
              "message": f"the stored batch was gone; {producer_key} is read again"}],
        )
        log.warning("crawl.batch_lost", crawl_id=job_id, unit=unit_key, producer=producer_key)


@app.task(name=pipeline.TASK_FINALIZE, queue=Queue.GRAPH.value, **retry_options(_RETRIES))
def finalize_job(self: Task, job_id: str, unit_key: str) -> None:
    """The job's last unit: rebuild the ancestry index of every model it wrote."""
    res = resources()
    store = res.jobs
    if store.is_done(job_id, unit_key) or store.state(job_id) is None:
        return
    if [key for key in store.outstanding(job_id) if key != pipeline.FINALIZE]:
        return  # not yet: the last unit to finish sends finalize again
    written = store.written(job_id)
    if written:
        rebuilt = rebuild_ancestry(res.driver(), written, database=res.neo4j.database, batch_size=res.neo4j.batch_size)
        log.info("crawl.ancestry_rebuilt", crawl_id=job_id, models=rebuilt)
    store.account(job_id, unit_key, {})
    pipeline.complete(store, job_id, unit_key, res.settings)
