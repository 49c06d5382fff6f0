"""Job bookkeeping in the real Redis: claims, idempotent units, completion, cancel, report."""

from __future__ import annotations

import pytest
import redis

from workers.jobs import Counter, JobOptions, JobState, JobStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(redis_url: str) -> JobStore:
    return JobStore(redis.Redis.from_url(redis_url))


def _job(store: JobStore) -> str:
    return store.create(JobOptions(seeds=("org/root",), endpoint="http://hub.test", down=2))


def test_a_model_is_claimed_once_per_job_and_stage(store: JobStore) -> None:
    job = _job(store)
    assert store.claim(job, "org/a")
    assert not store.claim(job, "org/a")
    assert store.claim(job, "org/a", stage="children")
    assert store.claim(_job(store), "org/a")


def test_units_are_counted_once_and_the_last_one_finishes_the_job(store: JobStore) -> None:
    job = _job(store)
    assert store.add_units(job, ["u1", "u2"]) == 2
    assert store.add_units(job, ["u2", "u3"]) == 1  # u2 is already outstanding
    assert store.finish_unit(job, "u1") == 2
    assert store.finish_unit(job, "u1") == -1  # a redelivered task finishes nothing twice
    assert store.add_units(job, ["u1"]) == 0  # nor is a finished unit queued again
    assert store.state(job) is JobState.RUNNING
    store.finish_unit(job, "u2")
    assert store.finish_unit(job, "u3") == 0
    snapshot = store.snapshot(job)
    assert snapshot is not None
    assert snapshot.state is JobState.DONE
    assert snapshot.finished_at is not None
    assert snapshot.counters[Counter.QUEUED.value] == 3


def test_cancel_stops_a_running_job_only(store: JobStore) -> None:
    job = _job(store)
    store.add_units(job, ["u1"])
    assert store.cancel(job)
    assert not store.is_active(job)
    assert not store.cancel(job)
    store.finish_unit(job, "u1")
    assert store.state(job) is JobState.CANCELLED


def test_report_counts_problems_by_kind_with_bounded_deduplicated_samples(store: JobStore) -> None:
    job = _job(store)
    store.increment(job, {Counter.SEEN: 5, Counter.HUB_REQUESTS: 2})
    problem = {"model_id": "org/gone", "kind": "not_found", "message": "404"}
    store.record_problems(job, [problem, problem, {"model_id": "org/x", "kind": "cycle", "message": "x→y→x"}])
    snapshot = store.snapshot(job)
    assert snapshot is not None
    assert snapshot.counters[Counter.SEEN.value] == 5
    assert snapshot.counters[Counter.PROBLEMS.value] == 3
    assert snapshot.problems_by_kind == {"not_found": 2, "cycle": 1}
    assert len(snapshot.problem_samples) == 2
    assert store.snapshot("no-such-job") is None
