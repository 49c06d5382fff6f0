"""Orchestration of a crawl job: its units of work, how they are sent, finished and recovered.

A job is a set of units, each done by one task (``workers.tasks``), each with a key that
names its work deterministically, and a *spec* — the task name, arguments and queue as JSON —
kept in the job store while the unit is outstanding::

    seed:<model>                     crawl the model (and up to its roots)        hub queue
    down:<depth>:<attempt>:<digest>  list the children of some models, one level  hub queue
    deployers:<model>                Spaces and inference providers of a model    hub queue
    sweep:<page>                     one page of the hub's model listing (a sweep) hub queue
    write:<producer>#<n>             write one batch of observations              graph queue
    finalize                         rebuild the ancestry index of what was written  graph queue
    propagate                        recompute propagation of what was written   propagation queue
    propagate:<n>                    a page of every model's propagation, when a job wrote very many
                                     (spread over the propagation workers)       propagation queue

``finalize`` is registered when the job starts and sent when it is the only unit left; it
spawns ``propagate`` (unless ``propagate_after_crawl`` is off), the job's very last unit. A
unit is registered (:func:`enqueue`) before its task is sent and finished (:func:`complete`)
only after the units it spawned are registered, so the job's count of outstanding units
reaches zero exactly when all work is done. Messages that were lost are found by their
specs and sent again (:func:`resend_stalled`, run by the sweep task).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from kombu.exceptions import LimitExceeded, OperationalError

from workers.connections import publish_retry_policy, publisher
from workers.contract import (
    TASK_CHILDREN,
    TASK_DEPLOYERS,
    TASK_FINALIZE,
    TASK_PROPAGATE,
    TASK_PROPAGATE_PAGE,
    TASK_SEED,
    TASK_SWEEP_PAGE,
    TASK_WRITE,
)
from workers.errors import CoordinationUnavailable, PayloadError
from workers.jobs import Counter, JobOptions, JobStore
from workers.notify import send_dispatch
from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = [
    "FINALIZE",
    "Unit",
    "backoff_s",
    "children_unit",
    "complete",
    "deployers_unit",
    "enqueue",
    "finalize_unit",
    "propagate_page_unit",
    "propagate_unit",
    "resend_stalled",
    "seed_unit",
    "send",
    "start_job",
    "start_sweep",
    "sweep_unit",
    "write_unit",
]

log = structlog.get_logger(__name__)

FINALIZE = "finalize"


@dataclass(frozen=True)
class Unit:
    """A unit of a job's work: its key, and the task (with arguments, after job id and key) that does it."""

    key: str
    task: str
    args: tuple[Any, ...]
    queue: Queue

    def spec(self) -> str:
        return json.dumps({"task": self.task, "args": list(self.args), "queue": self.queue.value}, sort_keys=True)

    @classmethod
    def from_spec(cls, key: str, spec: str) -> Unit:
        try:
            data = json.loads(spec)
            return cls(key, str(data["task"]), tuple(data["args"]), Queue(data["queue"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"unit {key!r} has no usable spec: {exc}") from exc


def _digest(ids: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def seed_unit(model_id: str) -> Unit:
    return Unit(f"seed:{model_id}", TASK_SEED, (model_id,), Queue.HUB)


def children_unit(depth: int, parents: Sequence[str], attempt: int = 0) -> Unit:
    """List the children (level ``depth`` below a seed) of ``parents``; ``attempt`` counts retries of failed listings."""
    ids = sorted(parents)
    return Unit(f"down:{depth}:{attempt}:{_digest(ids)}", TASK_CHILDREN, (depth, ids, attempt), Queue.HUB)


def deployers_unit(model_id: str) -> Unit:
    return Unit(f"deployers:{model_id}", TASK_DEPLOYERS, (model_id,), Queue.HUB)


def sweep_unit(page: int, url: str, stop_before: str | None) -> Unit:
    """Read page ``page`` of a sweep's listing at ``url``; its spec is the sweep's checkpoint (the cursor)."""
    return Unit(f"sweep:{page:07d}", TASK_SWEEP_PAGE, (page, url, stop_before), Queue.HUB)


def write_unit(producer: Unit, index: int) -> Unit:
    """Write batch ``index`` of what ``producer`` read; the producer's spec travels along so the batch can be redone."""
    key = f"write:{producer.key}#{index}"
    return Unit(key, TASK_WRITE, (key, producer.key, producer.spec()), Queue.GRAPH)


def finalize_unit() -> Unit:
    return Unit(FINALIZE, TASK_FINALIZE, (), Queue.GRAPH)


def propagate_unit() -> Unit:
    return Unit("propagate", TASK_PROPAGATE, (), Queue.PROPAGATION)


def propagate_page_unit(index: int, after: str | None, until: str) -> Unit:
    """Recompute the models with ids in (``after``, ``until``] (a page of a job's recompute of every model)."""
    return Unit(f"propagate:{index:06d}", TASK_PROPAGATE_PAGE, (after, until), Queue.PROPAGATION)


def backoff_s(attempt: int, settings: WorkerSettings, rand: float) -> float:
    """Exponential backoff with full jitter: uniform(0.5, 1) × min(cap, 2**attempt) seconds."""
    return float(min(settings.retry_backoff_max_s, 2**attempt) * (0.5 + 0.5 * rand))


def send(job_id: str, units: Iterable[Unit], settings: WorkerSettings, *, countdown: float | None = None) -> int:
    """Publish a task per unit (retrying while the broker is briefly unreachable).

    Raises :class:`~workers.errors.CoordinationUnavailable` when the broker stays unreachable; the
    units stay registered, so a later resend (the sweep, or the task's own retry) sends them.
    """
    policy = publish_retry_policy(settings)
    celery = publisher(settings)
    sent = 0
    for unit in units:
        try:
            celery.send_task(
                unit.task,
                args=[job_id, unit.key, *unit.args],
                queue=unit.queue.value,
                countdown=countdown,
                retry=True,
                retry_policy=policy,
            )
        except (OperationalError, LimitExceeded) as exc:
            raise CoordinationUnavailable(f"the broker did not take {unit.key}: {exc}") from exc
        sent += 1
    return sent


def enqueue(store: JobStore, job_id: str, units: Sequence[Unit], settings: WorkerSettings, *,
            countdown: float | None = None) -> None:
    """Register ``units`` on the job, make their batches ready to write, then send them.

    All of them are sent, even those registered before: a redelivered producer resends, tasks dedupe.
    """
    if not units:
        return
    store.add_units(job_id, {unit.key: unit.spec() for unit in units})
    store.mark_ready(job_id, [unit.key for unit in units if unit.task == TASK_WRITE])
    send(job_id, units, settings, countdown=countdown)


def complete(store: JobStore, job_id: str, unit_key: str, settings: WorkerSettings) -> int:
    """Finish a unit; when only ``finalize`` is left, send it. Returns the units left (-1: finished before)."""
    left = store.finish_unit(job_id, unit_key)
    if left == 0:  # the job's last unit: its change records (writes, then propagation) go to the watches
        send_dispatch(job_id, settings)
    if left == 1 and unit_key != FINALIZE:
        outstanding = store.outstanding(job_id)
        if list(outstanding) == [FINALIZE]:
            send(job_id, [finalize_unit()], settings)
    return left


def start_job(store: JobStore, options: JobOptions, settings: WorkerSettings) -> str:
    """Create a job, register its final step, and send one unit per seed."""
    job_id = store.create(options)
    store.add_units(job_id, {FINALIZE: finalize_unit().spec()})
    enqueue(store, job_id, [seed_unit(seed) for seed in options.seeds], settings)
    log.info("crawl.job_started", crawl_id=job_id, seeds=len(options.seeds), down=options.down, up=options.up)
    return job_id


def start_sweep(store: JobStore, options: JobOptions, settings: WorkerSettings) -> str:
    """Create a sweep job, register its final step, and send its first page (whose URL the page task builds)."""
    job_id = store.create(options)
    store.add_units(job_id, {FINALIZE: finalize_unit().spec()})
    enqueue(store, job_id, [sweep_unit(0, "", options.since)], settings)
    log.info("sweep.job_started", crawl_id=job_id, mode=options.sweep, since=options.since, endpoint=options.endpoint)
    return job_id


def resend_stalled(store: JobStore, settings: WorkerSettings, *, now: float | None = None) -> dict[str, list[str]]:
    """Send again the outstanding units of every job without progress for ``stall_after_s``; returns them by job.

    ``finalize`` is sent only when it is the sole unit left. Each resend is counted
    (``resent_units``) and listed in the job's problem samples, so the report shows it.
    """
    now = time.time() if now is None else now
    resent: dict[str, list[str]] = {}
    for job_id in store.active_jobs():
        snapshot = store.snapshot(job_id)
        if snapshot is None:
            store.forget_active(job_id)
            continue
        if snapshot.progress_at is None or now - snapshot.progress_at < settings.stall_after_s:
            continue
        outstanding = {key: spec for key, spec in store.outstanding(job_id).items() if spec}
        keys = sorted(k for k in outstanding if k != FINALIZE) or [k for k in outstanding if k == FINALIZE]
        units = [Unit.from_spec(key, outstanding[key]) for key in keys]
        if not units:
            continue
        send(job_id, units, settings)
        store.increment(job_id, {Counter.RESENT: len(units)})
        idle = round(now - snapshot.progress_at)
        store.record_problems(
            job_id,
            [{"model_id": u.key, "kind": "stalled_unit_resent", "message": f"no progress for {idle}s; sent again"}
             for u in units],
        )
        store.mark_progress(job_id, now)
        resent[job_id] = keys
        log.warning("crawl.units_resent", crawl_id=job_id, units=len(units), idle_s=idle)
    return resent

