"""Crawl jobs in Redis: an id, options, live counters, per-model claims, completion and a report.

A job counts its outstanding units of work: every enqueued unit is registered once
(:meth:`JobStore.add_units`) and finished once (:meth:`JobStore.finish_unit`) — both
idempotent by unit key, so a task redelivered after a worker crash neither double-counts
nor leaves the job hanging. When the last unit finishes the job is done.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

__all__ = ["Counter", "JobOptions", "JobSnapshot", "JobState", "JobStore"]

_TTL_S = 7 * 86_400


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class Counter(enum.StrEnum):
    SEEN = "models_seen"
    WRITTEN = "models_written"
    QUEUED = "queued"
    SKIPPED_UNCHANGED = "skipped_unchanged"
    PROBLEMS = "problems"
    HUB_REQUESTS = "hub_requests"
    OBSERVATIONS = "observations"
    RETRIES = "retries"


@dataclass(frozen=True)
class JobOptions:
    seeds: tuple[str, ...]
    endpoint: str
    up: bool = True
    down: int = 0
    deployers: bool = False
    breadth: int = 10_000
    force: bool = False  # crawl even when the sha has not changed


@dataclass(frozen=True)
class JobSnapshot:
    id: str
    state: JobState
    options: JobOptions
    counters: dict[str, int]
    problems_by_kind: dict[str, int]
    pending: int
    created_at: float
    finished_at: float | None
    problem_samples: list[dict[str, str]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return (self.finished_at or time.time()) - self.created_at

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["duration_s"] = round(self.duration_s, 3)
        return data


# KEYS: units set, meta hash, done set; ARGV: unit keys...  returns the number newly added
_ADD_UNITS = """
local added = 0
for i, unit in ipairs(ARGV) do
  if redis.call('SISMEMBER', KEYS[3], unit) == 0 and redis.call('SADD', KEYS[1], unit) == 1 then
    added = added + 1
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[2], 'pending', added) end
return added
"""

# KEYS: units set, meta hash, done set; ARGV: unit key, now  returns pending left (-1 if already finished)
_FINISH_UNIT = """
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return -1 end
redis.call('SREM', KEYS[1], ARGV[1])
local pending = redis.call('HINCRBY', KEYS[2], 'pending', -1)
if pending <= 0 and redis.call('HGET', KEYS[2], 'state') == 'running' then
  redis.call('HSET', KEYS[2], 'state', 'done', 'finished_at', ARGV[2])
end
return pending
"""


class JobStore:
    """Jobs kept in Redis under ``lineage:job:<id>:*``; every method is safe to call from any worker."""

    def __init__(self, client: redis.Redis, prefix: str = "lineage:job") -> None:
        self.client = client
        self.prefix = prefix
        self._add_units = client.register_script(_ADD_UNITS)
        self._finish_unit = client.register_script(_FINISH_UNIT)

    def _key(self, job_id: str, part: str) -> str:
        return f"{self.prefix}:{job_id}:{part}"

    def create(self, options: JobOptions) -> str:
        job_id = uuid.uuid4().hex
        meta = {
            "state": JobState.RUNNING.value,
            "options": json.dumps(asdict(options)),
            "created_at": repr(time.time()),
            "pending": 0,
        }
        pipe = self.client.pipeline()
        pipe.hset(self._key(job_id, "meta"), mapping=meta)
        for part in ("meta",):
            pipe.expire(self._key(job_id, part), _TTL_S)
        pipe.execute()
        return job_id

    def exists(self, job_id: str) -> bool:
        return bool(self.client.exists(self._key(job_id, "meta")))

    def state(self, job_id: str) -> JobState | None:
        raw = self.client.hget(self._key(job_id, "meta"), "state")
        return JobState(raw.decode()) if raw else None

    def is_active(self, job_id: str) -> bool:
        return self.state(job_id) is JobState.RUNNING

    def cancel(self, job_id: str) -> bool:
        """Stop a running job: queued units see it and return without work. False if not running."""
        key = self._key(job_id, "meta")
        with self.client.pipeline() as pipe:
            pipe.hget(key, "state")
            (state,) = pipe.execute()
        if state is None or state.decode() != JobState.RUNNING.value:
            return False
        self.client.hset(key, mapping={"state": JobState.CANCELLED.value, "finished_at": repr(time.time())})
        return True

    def claim(self, job_id: str, model_id: str, stage: str = "model") -> bool:
        """True for the first caller only: each model is crawled at most once per job and stage."""
        key = self._key(job_id, f"claims:{stage}")
        added = self.client.sadd(key, model_id)
        self.client.expire(key, _TTL_S)
        return bool(added)

    def add_units(self, job_id: str, units: Iterable[str]) -> int:
        keys = [self._key(job_id, "units"), self._key(job_id, "meta"), self._key(job_id, "done")]
        batch = list(units)
        if not batch:
            return 0
        added = int(self._add_units(keys=keys, args=batch))
        self.increment(job_id, {Counter.QUEUED: added})
        return added

    def finish_unit(self, job_id: str, unit: str) -> int:
        keys = [self._key(job_id, "units"), self._key(job_id, "meta"), self._key(job_id, "done")]
        for key in keys:
            self.client.expire(key, _TTL_S)
        return int(self._finish_unit(keys=keys, args=[unit, repr(time.time())]))

    def increment(self, job_id: str, amounts: Mapping[Counter | str, int]) -> None:
        key = self._key(job_id, "counters")
        pipe = self.client.pipeline()
        for name, amount in amounts.items():
            if amount:
                pipe.hincrby(key, str(name), amount)
        pipe.expire(key, _TTL_S)
        pipe.execute()

    def record_problems(self, job_id: str, problems: Iterable[Mapping[str, str]], sample_limit: int = 50) -> None:
        kinds_key = self._key(job_id, "problem_kinds")
        samples_key = self._key(job_id, "problem_samples")
        pipe = self.client.pipeline()
        count = 0
        for problem in problems:
            count += 1
            pipe.hincrby(kinds_key, problem["kind"], 1)
            pipe.rpush(samples_key, json.dumps(dict(problem), sort_keys=True))
        if count:
            pipe.ltrim(samples_key, 0, sample_limit - 1)
            pipe.hincrby(self._key(job_id, "counters"), Counter.PROBLEMS.value, count)
            pipe.expire(kinds_key, _TTL_S)
            pipe.expire(samples_key, _TTL_S)
            pipe.execute()

    def snapshot(self, job_id: str) -> JobSnapshot | None:
        pipe = self.client.pipeline()
        pipe.hgetall(self._key(job_id, "meta"))
        pipe.hgetall(self._key(job_id, "counters"))
        pipe.hgetall(self._key(job_id, "problem_kinds"))
        pipe.lrange(self._key(job_id, "problem_samples"), 0, -1)
        meta, counters, kinds, samples = pipe.execute()
        if not meta:
            return None
        meta = {k.decode(): v.decode() for k, v in meta.items()}
        options = json.loads(meta["options"])
        options["seeds"] = tuple(options["seeds"])
        unique_samples = list(dict.fromkeys(s.decode() for s in samples))
        return JobSnapshot(
            id=job_id,
            state=JobState(meta["state"]),
            options=JobOptions(**options),
            counters={name.value: int(counters.get(name.value.encode(), 0)) for name in Counter},
            problems_by_kind={k.decode(): int(v) for k, v in kinds.items()},
            pending=int(meta.get("pending", 0)),
            created_at=float(meta["created_at"]),
            finished_at=float(meta["finished_at"]) if "finished_at" in meta else None,
            problem_samples=[json.loads(s) for s in unique_samples],
        )
