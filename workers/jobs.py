"""Crawl jobs in Redis: an id, options, live counters, per-model claims, completion and a report.

A job counts its outstanding units of work: every enqueued unit is registered once
(:meth:`JobStore.add_units`) and finished once (:meth:`JobStore.finish_unit`) — both
idempotent by unit key, so a task redelivered after a worker crash neither double-counts
nor leaves the job hanging. When the last unit finishes the job is done.

A unit may carry a *spec* (the JSON of the task and arguments that do it), so that units
whose messages were lost (a broker restart without persistence, a publish that failed) can
be found (:meth:`JobStore.outstanding`) and sent again — a gap is never silent.

Claims are owned: :meth:`JobStore.claim_many` gives a model to the first unit that asks,
and gives it again to the *same* unit (a redelivered task redoes its own work) but never
to another.

Keys, all under ``<prefix>:<id>:`` and expiring after a week: ``meta`` (state, options,
times, pending), ``counters``, ``units`` (unit → spec), ``done``, ``claims:<stage>``,
``problem_kinds``, ``problem_samples``, ``accounted`` (units whose counts are in the report),
``batch:<key>`` (observations waiting to be written), ``batch_models`` (models per batch),
``ready`` (batches writers may take, oldest first), ``taken:<unit>`` and ``taker`` (which write
unit writes which batches), ``written`` (ids of models written). ``<prefix>:active`` is the set
of jobs with outstanding units.

Writes are coalesced: a write unit takes its own batch and as many other ready batches as fit
in ``max_models`` (:meth:`JobStore.take_batches`), so when writing is the slower side batches
grow by themselves and the graph sees few, large transactions.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import redis

from workers.contract import JobOptions, JobSnapshot, JobState

__all__ = ["SAMPLES_PER_KIND", "Counter", "JobStore"]

_TTL_S = 7 * 86_400
SAMPLES_PER_KIND = 20


class Counter(enum.StrEnum):
    SEEN = "models_seen"
    WRITTEN = "models_written"
    QUEUED = "queued"
    SKIPPED_UNCHANGED = "skipped_unchanged"
    PROBLEMS = "problems"
    HUB_REQUESTS = "hub_requests"
    OBSERVATIONS = "observations"
    RETRIES = "retries"
    RESENT = "resent_units"
    PAGES = "pages_listed"
    MARKED_STALE = "marked_stale"
    HISTORY_REQUESTS = "history_requests"  # of hub_requests, those reading commit histories and cards at revisions


# KEYS: units hash, meta hash, done set, active set; ARGV: now, job id, then (unit, spec) pairs
# returns the number newly added
_ADD_UNITS = """
local added = 0
for i = 3, #ARGV, 2 do
  local unit = ARGV[i]
  if redis.call('SISMEMBER', KEYS[3], unit) == 0 and redis.call('HSETNX', KEYS[1], unit, ARGV[i + 1]) == 1 then
    added = added + 1
  end
end
if added > 0 then
  redis.call('HINCRBY', KEYS[2], 'pending', added)
  redis.call('HSET', KEYS[2], 'progress_at', ARGV[1])
  redis.call('SADD', KEYS[4], ARGV[2])
end
return added
"""

# KEYS: units hash, meta hash, done set, active set; ARGV: unit key, now, job id
# returns pending left (-1 if the unit was already finished)
_FINISH_UNIT = """
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
local pending = redis.call('HINCRBY', KEYS[2], 'pending', -1)
redis.call('HSET', KEYS[2], 'progress_at', ARGV[2])
if pending <= 0 then
  redis.call('SREM', KEYS[4], ARGV[3])
  if redis.call('HGET', KEYS[2], 'state') == 'running' then
    redis.call('HSET', KEYS[2], 'state', 'done', 'finished_at', ARGV[2])
  end
end
return pending
"""

# KEYS: units hash, meta hash, done set, active set; ARGV: unit key, spec, now, job id
# a finished unit becomes outstanding again; returns 1 if it was reopened
_REOPEN_UNIT = """
if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], 'pending', 1)
redis.call('HSET', KEYS[2], 'progress_at', ARGV[3])
redis.call('SADD', KEYS[4], ARGV[4])
return 1
"""

# KEYS: claims hash, budgets hash; ARGV: owner ('' = anonymous: first caller only), budget ('' = none), ids...
# returns one flag per id: 1 if the id is (now) the owner's. With a budget, a claim held with a
# smaller budget passes to the new owner (a model reached again with more levels left to list).
_CLAIM_MANY = """
local out = {}
local budget = tonumber(ARGV[2])
for i = 3, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local held = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '-1')
  if (not current) or (budget and held < budget) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
    if budget then redis.call('HSET', KEYS[2], ARGV[i], budget) end
    out[#out + 1] = 1
  elseif ARGV[1] ~= '' and current == ARGV[1] then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
redis.call('EXPIRE', KEYS[1], {ttl})
redis.call('EXPIRE', KEYS[2], {ttl})
return out
""".replace("{ttl}", str(_TTL_S))


# KEYS: accounted set, counters hash, problem kinds hash, problem samples list;
# ARGV: unit, samples kept per kind, number of counters, (name, amount)..., then (kind, sample json)...
# applies the amounts once per unit; returns 1 if applied, 0 if this unit was accounted before
_ACCOUNT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
local limit = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local i = 4
for _ = 1, n do
  redis.call('HINCRBY', KEYS[2], ARGV[i], tonumber(ARGV[i + 1]))
  i = i + 2
end
local problems = 0
while i <= #ARGV do
  if redis.call('HINCRBY', KEYS[3], ARGV[i], 1) <= limit then redis.call('RPUSH', KEYS[4], ARGV[i + 1]) end
  problems = problems + 1
  i = i + 2
end
if problems > 0 then redis.call('HINCRBY', KEYS[2], 'problems', problems) end
return 1
"""


# KEYS: ready zset, batch model counts hash, taken set of this unit, taker hash;
# ARGV: unit, max models, ttl. Returns the batch keys this write unit writes (see take_batches).
_TAKE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return redis.call('SMEMBERS', KEYS[3]) end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {} end
local limit = tonumber(ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[1])
local total = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
while total < limit do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 then break end
  local models = tonumber(redis.call('HGET', KEYS[2], head[1]) or '0')
  if total > 0 and total + models > limit then break end
  redis.call('ZREM', KEYS[1], head[1])
  redis.call('SADD', KEYS[3], head[1])
  redis.call('HSET', KEYS[4], head[1], ARGV[1])
  total = total + models
end
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[4], tonumber(ARGV[3]))
return redis.call('SMEMBERS', KEYS[3])
"""


# KEYS: problem kinds hash, problem samples list, counters hash; ARGV: samples kept per kind, (kind, sample)...
_RECORD = """
local limit = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV, 2 do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], 1) <= limit then redis.call('RPUSH', KEYS[2], ARGV[i + 1]) end
  n = n + 1
end
redis.call('HINCRBY', KEYS[3], 'problems', n)
return n
"""


class JobStore:
    """Jobs kept in Redis under ``lineage:job:<id>:*``; every method is safe to call from any worker."""

    def __init__(self, client: redis.Redis, prefix: str = "lineage:job") -> None:
        self.client = client
        self.prefix = prefix
        self._add_units = client.register_script(_ADD_UNITS)
        self._finish_unit = client.register_script(_FINISH_UNIT)
        self._reopen_unit = client.register_script(_REOPEN_UNIT)
        self._claim_many = client.register_script(_CLAIM_MANY)
        self._account = client.register_script(_ACCOUNT)
        self._take = client.register_script(_TAKE)
        self._record = client.register_script(_RECORD)

    def _key(self, job_id: str, part: str) -> str:
        return f"{self.prefix}:{job_id}:{part}"

    @property
    def _active_key(self) -> str:
        return f"{self.prefix}:active"

    def _unit_keys(self, job_id: str) -> list[str]:
        return [self._key(job_id, "units"), self._key(job_id, "meta"), self._key(job_id, "done"), self._active_key]

    # -- lifecycle ----------------------------------------------------------------------

    def create(self, options: JobOptions) -> str:
        job_id = uuid.uuid4().hex
        now = repr(time.time())
        meta: dict[Any, Any] = {
            "state": JobState.RUNNING.value,
            "options": json.dumps(asdict(options)),
            "created_at": now,
            "progress_at": now,
            "pending": 0,
        }
        pipe = self.client.pipeline()
        pipe.hset(self._key(job_id, "meta"), mapping=meta)
        pipe.expire(self._key(job_id, "meta"), _TTL_S)
        pipe.execute()
        return job_id

    def set_note(self, job_id: str, name: str, value: str) -> None:
        """Keep a small fact of the job's own (e.g. the newest ``lastModified`` a sweep saw) in its meta."""
        self.client.hset(self._key(job_id, "meta"), f"note:{name}", value)

    def note(self, job_id: str, name: str) -> str | None:
        raw = self.client.hget(self._key(job_id, "meta"), f"note:{name}")
        return _text(raw) if raw else None

    def exists(self, job_id: str) -> bool:
        return bool(self.client.exists(self._key(job_id, "meta")))

    def state(self, job_id: str) -> JobState | None:
        raw = self.client.hget(self._key(job_id, "meta"), "state")
        return JobState(_text(raw)) if raw else None

    def is_active(self, job_id: str) -> bool:
        return self.state(job_id) is JobState.RUNNING

    def options(self, job_id: str) -> JobOptions | None:
        raw = self.client.hget(self._key(job_id, "meta"), "options")
        return _options(_text(raw)) if raw else None

    def cancel(self, job_id: str) -> bool:
        """Stop a running job: queued units see it and return without work. False if not running."""
        key = self._key(job_id, "meta")
        state = self.client.hget(key, "state")
        if state is None or _text(state) != JobState.RUNNING.value:
            return False
        self.client.hset(key, mapping={"state": JobState.CANCELLED.value, "finished_at": repr(time.time())})
        return True

    def mark_progress(self, job_id: str, at: float | None = None) -> None:
        """Note that the job moved (the sweep measures stalls from the last progress)."""
        self.client.hset(self._key(job_id, "meta"), "progress_at", repr(time.time() if at is None else at))

    def active_jobs(self) -> list[str]:
        """Jobs that still have outstanding units."""
        return sorted(_text(m) for m in self.client.smembers(self._active_key))

    def forget_active(self, job_id: str) -> None:
        """Drop a job from the active set (its keys expired: there is nothing left to resend)."""
        self.client.srem(self._active_key, job_id)

    # -- claims -------------------------------------------------------------------------

    def claim(self, job_id: str, model_id: str, stage: str = "model", owner: str | None = None) -> bool:
        """True for the first caller (and again for the same ``owner``): each model is crawled once per job and stage."""
        return model_id in self.claim_many(job_id, [model_id], stage=stage, owner=owner)

    def claim_many(
        self, job_id: str, model_ids: Iterable[str], *, stage: str, owner: str | None = None, budget: int | None = None
    ) -> set[str]:
        """The ids of ``model_ids`` that are now ``owner``'s for ``stage`` (one round trip).

        ``budget`` (e.g. levels of children still to list): a model claimed before with a
        smaller budget is claimed again, so the deeper crawl wins.
        """
        ids = list(dict.fromkeys(model_ids))
        if not ids:
            return set()
        keys = [self._key(job_id, f"claims:{stage}"), self._key(job_id, f"budgets:{stage}")]
        flags = self._claim_many(keys=keys, args=[owner or "", "" if budget is None else budget, *ids])
        return {model_id for model_id, flag in zip(ids, flags, strict=True) if int(flag)}

    # -- units --------------------------------------------------------------------------

    def add_units(self, job_id: str, units: Iterable[str] | Mapping[str, str]) -> int:
        """Register units (keys, or key → spec); a unit outstanding or finished before is not added again."""
        pairs = list(units.items()) if isinstance(units, Mapping) else [(unit, "") for unit in units]
        if not pairs:
            return 0
        args: list[str] = [repr(time.time()), job_id]
        for unit, spec in pairs:
            args.extend((unit, spec))
        added = int(self._add_units(keys=self._unit_keys(job_id), args=args))
        pipe = self.client.pipeline()
        for key in self._unit_keys(job_id)[:3]:
            pipe.expire(key, _TTL_S)
        pipe.execute()
        self.increment(job_id, {Counter.QUEUED: added})
        return added

    def finish_unit(self, job_id: str, unit: str) -> int:
        """Finish a unit; returns the units still outstanding, or -1 if this unit was finished before."""
        return int(self._finish_unit(keys=self._unit_keys(job_id), args=[unit, repr(time.time()), job_id]))

    def reopen_unit(self, job_id: str, unit: str, spec: str) -> bool:
        """Make a finished unit outstanding again (its work must be redone); False if it was not finished."""
        return bool(self._reopen_unit(keys=self._unit_keys(job_id), args=[unit, spec, repr(time.time()), job_id]))

    def is_done(self, job_id: str, unit: str) -> bool:
        return bool(self.client.sismember(self._key(job_id, "done"), unit))

    def outstanding(self, job_id: str) -> dict[str, str]:
        """Units registered and not finished, with their specs."""
        raw = self.client.hgetall(self._key(job_id, "units"))
        return {_text(k): _text(v) for k, v in raw.items()}

    # -- batches of observations and written models -------------------------------------

    def put_batch(self, job_id: str, key: str, payload: str, models: int) -> None:
        """Store a batch of observations (``models`` models) for write unit ``key``; not ready until :meth:`mark_ready`."""
        pipe = self.client.pipeline()
        pipe.set(self._key(job_id, f"batch:{key}"), payload, ex=_TTL_S)
        pipe.hset(self._key(job_id, "batch_models"), key, models)
        pipe.expire(self._key(job_id, "batch_models"), _TTL_S)
        pipe.execute()

    def mark_ready(self, job_id: str, keys: Sequence[str]) -> None:
        """Let writers take these batches (call once their units are registered), oldest first.

        Batches of finished units (a redelivered producer stores them again) are not offered again.
        """
        if not keys:
            return
        done = self.client.smismember(self._key(job_id, "done"), list(keys))
        fresh = [key for key, finished in zip(keys, done, strict=True) if not int(finished)]
        if not fresh:
            return
        now = time.time()
        pipe = self.client.pipeline()
        pipe.zadd(self._key(job_id, "ready"), {key: now for key in fresh}, nx=True)
        pipe.expire(self._key(job_id, "ready"), _TTL_S)
        pipe.execute()

    def take_batches(self, job_id: str, unit: str, max_models: int) -> list[str]:
        """The batches write unit ``unit`` writes: its own and more ready ones, up to ``max_models`` models.

        Empty when its batch was taken by another writer (which finishes it) or is not ready.
        Asked again by the same unit (a redelivery), the same batches come back.
        """
        keys = [
            self._key(job_id, "ready"), self._key(job_id, "batch_models"),
            self._key(job_id, f"taken:{unit}"), self._key(job_id, "taker"),
        ]
        taken = self._take(keys=keys, args=[unit, max_models, _TTL_S])
        return [_text(k) for k in taken]

    def taker(self, job_id: str, key: str) -> str | None:
        """The write unit that took batch ``key``, if any."""
        raw = self.client.hget(self._key(job_id, "taker"), key)
        return _text(raw) if raw is not None else None

    def taken(self, job_id: str, unit: str) -> list[str]:
        return sorted(_text(k) for k in self.client.smembers(self._key(job_id, f"taken:{unit}")))

    def get_batch(self, job_id: str, key: str) -> str | None:
        raw = self.client.get(self._key(job_id, f"batch:{key}"))
        return _text(raw) if raw is not None else None

    def drop_batches(self, job_id: str, unit: str, keys: Sequence[str]) -> None:
        """Forget written batches and the record of who took them."""
        pipe = self.client.pipeline()
        for key in keys:
            pipe.delete(self._key(job_id, f"batch:{key}"))
            pipe.zrem(self._key(job_id, "ready"), key)
        if keys:
            pipe.hdel(self._key(job_id, "batch_models"), *keys)
            pipe.hdel(self._key(job_id, "taker"), *keys)
        pipe.delete(self._key(job_id, f"taken:{unit}"))
        pipe.execute()

    def add_written(self, job_id: str, model_ids: Iterable[str]) -> None:
        ids = list(model_ids)
        if ids:
            pipe = self.client.pipeline()
            pipe.sadd(self._key(job_id, "written"), *ids)
            pipe.expire(self._key(job_id, "written"), _TTL_S)
            pipe.execute()

    def written(self, job_id: str) -> list[str]:
        return sorted(_text(m) for m in self.client.smembers(self._key(job_id, "written")))

    # -- counters, problems, report -----------------------------------------------------

    def increment(self, job_id: str, amounts: Mapping[Counter | str, int]) -> None:
        key = self._key(job_id, "counters")
        pipe = self.client.pipeline()
        for name, amount in amounts.items():
            if amount:
                pipe.hincrby(key, str(name), amount)
        pipe.expire(key, _TTL_S)
        pipe.execute()

    def record_problems(
        self, job_id: str, problems: Iterable[Mapping[str, str]], sample_limit: int = SAMPLES_PER_KIND
    ) -> None:
        """Count problems by kind and keep the first ``sample_limit`` of each kind as samples."""
        keys = [self._key(job_id, "problem_kinds"), self._key(job_id, "problem_samples"),
                self._key(job_id, "counters")]
        args: list[str | int] = [sample_limit]
        for problem in problems:
            args.extend((problem["kind"], json.dumps(dict(problem), sort_keys=True)))
        if len(args) > 1:
            self._record(keys=keys, args=args)
            pipe = self.client.pipeline()
            for key in keys:
                pipe.expire(key, _TTL_S)
            pipe.execute()

    def account(
        self,
        job_id: str,
        unit: str,
        amounts: Mapping[Counter | str, int],
        problems: Iterable[Mapping[str, str]] = (),
        sample_limit: int = SAMPLES_PER_KIND,
    ) -> bool:
        """Add a unit's counts and problems to the report once, however often the unit runs; True if added now."""
        keys = [
            self._key(job_id, "accounted"),
            self._key(job_id, "counters"),
            self._key(job_id, "problem_kinds"),
            self._key(job_id, "problem_samples"),
        ]
        pairs = [(str(name), int(amount)) for name, amount in amounts.items() if amount]
        args: list[str | int] = [unit, sample_limit, len(pairs)]
        for name, amount in pairs:
            args.extend((name, amount))
        for problem in problems:
            args.extend((problem["kind"], json.dumps(dict(problem), sort_keys=True)))
        applied = bool(self._account(keys=keys, args=args))
        pipe = self.client.pipeline()
        for key in keys:
            pipe.expire(key, _TTL_S)
        pipe.execute()
        return applied

    def snapshot(self, job_id: str) -> JobSnapshot | None:
        pipe = self.client.pipeline()
        pipe.hgetall(self._key(job_id, "meta"))
        pipe.hgetall(self._key(job_id, "counters"))
        pipe.hgetall(self._key(job_id, "problem_kinds"))
        pipe.lrange(self._key(job_id, "problem_samples"), 0, -1)
        meta, counters, kinds, samples = pipe.execute()
        if not meta:
            return None
        meta = {_text(k): _text(v) for k, v in meta.items()}
        unique_samples = list(dict.fromkeys(_text(s) for s in samples))
        return JobSnapshot(
            id=job_id,
            state=JobState(meta["state"]),
            options=_options(meta["options"]),
            counters={name.value: int(counters.get(name.value.encode(), 0)) for name in Counter},
            problems_by_kind={_text(k): int(v) for k, v in kinds.items()},
            pending=int(meta.get("pending", 0)),
            created_at=float(meta["created_at"]),
            finished_at=float(meta["finished_at"]) if "finished_at" in meta else None,
            problem_samples=[json.loads(s) for s in unique_samples],
            progress_at=float(meta["progress_at"]) if "progress_at" in meta else None,
        )


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _options(raw: str) -> JobOptions:
    options = json.loads(raw)
    options["seeds"] = tuple(options["seeds"])
    return JobOptions(**options)
