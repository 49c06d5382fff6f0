"""Graph tasks of a crawl job (graph queue): write batches of observations; finalize the job.

A batch is stored in Redis by the hub task that read it (observations as JSON, see
:mod:`workers.serialize`) and named by the write task's arguments, so the message stays small
and a lost message can be sent again from its unit's spec.

Writes are coalesced: a write task takes its own batch and other ready batches of the job, up
to ``write_batch_models`` models (``JobStore.take_batches``), writes them with one
``GraphWriter.write`` call and finishes all their units; a task whose batch another writer took
returns at once. When writing is the slower side, batches therefore grow by themselves.

Writes are idempotent (``GraphWriter``), so a redelivered task rewrites the same batches and
changes nothing; while Neo4j is unreachable the task retries with backoff. A batch that is gone
(Redis lost it) has its producing unit reopened and redone, and that is reported; batches whose
write failed for good are reported (kind ``unit_failed``) and their units finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
import structlog
from celery import Task

from crawler.observations import DerivationSeen, ModelSeen, ModelStatus, Observation
from graph.recrawl import accept_first_observation, mark_seen, rebuild_ancestry
from workers import pipeline, sweepjob
from workers.app import app
from workers.context import resources
from workers.errors import PayloadError
from workers.contract import TASK_FINALIZE, TASK_WRITE, JobState
from workers.jobs import Counter, JobStore
from workers.queues import Queue
from workers.serialize import from_json
from workers.settings import WorkerSettings
from workers.tasks.base import UnitTask, graph_busy_is_transient, retry_options

__all__ = ["finalize_job", "write_batch"]

log = structlog.get_logger(__name__)

_RETRIES = WorkerSettings().write_retries


@dataclass(frozen=True)
class _Batch:
    observations: list[Observation]
    full: list[str]  # models whose observation names all their parents and that may have older edges to close
    touches: list[tuple[str, str, datetime]]  # unchanged models: (id, sha, observed at)


def _decode(payload: str) -> _Batch:
    try:
        data: dict[str, Any] = json.loads(payload)
        observations = [from_json(item) for item in data["observations"]]
        full = [str(i) for i in data.get("full", [])]
        touches = [(str(i), str(sha), datetime.fromisoformat(t)) for i, sha, t in data.get("seen_unchanged", [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"unreadable batch: {exc}") from exc
    return _Batch(observations, full, touches)


def _affected(observations: list[Observation]) -> list[str]:
    """Models whose ancestry may have changed: those seen, and the children of every derivation."""
    ids = {o.id for o in observations if isinstance(o, ModelSeen)}
    ids |= {o.child_id for o in observations if isinstance(o, DerivationSeen)}
    return sorted(ids)


def _models(observations: list[Observation]) -> set[str]:
    return {o.id for o in observations if isinstance(o, ModelSeen) and o.status is not ModelStatus.UNKNOWN}


class WriteTask(UnitTask):
    """A failed write also fails the other batches it had taken (each reported, each finished)."""

    def on_failure(self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                   einfo: Any) -> None:
        super().on_failure(exc, task_id, args, kwargs, einfo)
        if len(args) < 2:
            return
        job_id, unit_key = str(args[0]), str(args[1])
        res = resources()
        try:
            for key in res.jobs.taken(job_id, unit_key):
                if key == unit_key:
                    continue
                message = f"not written: the write that took it ({unit_key}) failed: {type(exc).__name__}"
                res.jobs.account(job_id, key, {}, [{"model_id": key, "kind": "unit_failed", "message": message}])
                pipeline.complete(res.jobs, job_id, key, res.settings)
        except redis.RedisError as error:
            log.error("crawl.write_failure_not_recorded", crawl_id=job_id, unit=unit_key, error=repr(error))


@app.task(name=TASK_WRITE, queue=Queue.GRAPH.value, **{**retry_options(_RETRIES), "base": WriteTask})
def write_batch(self: Task, job_id: str, unit_key: str, batch_key: str, producer_key: str, producer_spec: str) -> None:
    """Write this unit's batch of observations, with other ready ones of the job (and stamp unchanged models seen)."""
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
        store.drop_batches(job_id, unit_key, [unit_key])
        return
    keys = store.take_batches(job_id, unit_key, res.settings.write_batch_models)
    if not keys:
        lost = store.taker(job_id, unit_key) is None and store.get_batch(job_id, unit_key) is None
        if lost and not store.is_done(job_id, unit_key):  # (a writer that took it may have just finished it)
            _redo_producer(store, job_id, unit_key, producer_key, producer_spec)
        return  # taken by another writer (it finishes this unit), or not ready yet (its producer sends it again)
    payloads: dict[str, str] = {}
    for key in keys:
        payload = store.get_batch(job_id, key)
        if payload is None:
            producer = _producer_of(store, job_id, key)
            if producer is not None:
                _redo_producer(store, job_id, key, *producer)
            continue
        payloads[key] = payload
    decoded = {key: _decode(payload) for key, payload in payloads.items()}
    observations = [o for batch in decoded.values() for o in batch.observations]
    full = {model_id for batch in decoded.values() for model_id in batch.full}
    touches = [t for batch in decoded.values() for t in batch.touches]
    driver = res.driver()
    with graph_busy_is_transient():
        if observations:
            accept_first_observation(driver, sorted(_models(observations)), database=res.neo4j.database)
            res.writer().write(observations, run_id=job_id, full_models=full)
        if touches:
            mark_seen(driver, touches, run_id=job_id, database=res.neo4j.database)
    store.add_written(job_id, _affected(observations))
    for key, batch in decoded.items():
        store.account(job_id, key, {Counter.WRITTEN: len(_models(batch.observations))})
        pipeline.complete(store, job_id, key, res.settings)
    store.drop_batches(job_id, unit_key, list(decoded))


def _producer_of(store: JobStore, job_id: str, key: str) -> tuple[str, str] | None:
    """(producer key, producer spec) of an outstanding write unit, from its spec."""
    spec = store.outstanding(job_id).get(key)
    if not spec:
        return None
    unit = pipeline.Unit.from_spec(key, spec)
    return str(unit.args[1]), str(unit.args[2])


def _redo_producer(store: JobStore, job_id: str, unit_key: str, producer_key: str, producer_spec: str) -> None:
    """The batch is gone: reopen the unit that read it (if finished) so it reads and stores it again."""
    settings = resources().settings
    if store.reopen_unit(job_id, producer_key, producer_spec):
        pipeline.send(job_id, [pipeline.Unit.from_spec(producer_key, producer_spec)], settings)
        store.increment(job_id, {Counter.RESENT: 1})
        store.record_problems(
            job_id,
            [{"model_id": unit_key, "kind": "batch_lost_redone",
              "message": f"the stored batch was gone; {producer_key} is read again"}],
        )
        log.warning("crawl.batch_lost", crawl_id=job_id, unit=unit_key, producer=producer_key)


@app.task(name=TASK_FINALIZE, queue=Queue.GRAPH.value, **retry_options(_RETRIES))
def finalize_job(self: Task, job_id: str, unit_key: str) -> None:
    """The job's final step: rebuild the ancestry index of every model it wrote (a sweep also marks what the hub no
    longer lists and moves its high-water mark, :func:`workers.sweepjob.finish_sweep`), then spawn ``propagate``."""
    res = resources()
    store = res.jobs
    if store.is_done(job_id, unit_key) or store.state(job_id) is None:
        return
    if [key for key in store.outstanding(job_id) if key != pipeline.FINALIZE]:
        return  # not yet: the last unit to finish sends finalize again
    written = store.written(job_id)
    if written:
        with graph_busy_is_transient():
            rebuilt = rebuild_ancestry(
                res.driver(), written, database=res.neo4j.database, batch_size=res.neo4j.batch_size
            )
        log.info("crawl.ancestry_rebuilt", crawl_id=job_id, models=rebuilt)
    problems: list[dict[str, str]] = []
    options = store.options(job_id)
    if options is not None and options.is_sweep:
        with graph_busy_is_transient():
            problems = sweepjob.finish_sweep(store, job_id, res.driver(), res.settings, database=res.neo4j.database)
    store.account(job_id, unit_key, {}, problems)
    if written and res.settings.propagate_after_crawl:
        pipeline.enqueue(store, job_id, [pipeline.propagate_unit()], res.settings)
    pipeline.complete(store, job_id, unit_key, res.settings)
