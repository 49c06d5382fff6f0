"""Job bookkeeping in the real Redis: claims, idempotent units, completion, cancel, report."""

from __future__ import annotations

import pytest
import redis

from workers.contract import JobOptions, JobState
from workers.jobs import Counter, JobStore

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


def test_claims_are_owned_a_redelivered_unit_gets_its_models_back(store: JobStore) -> None:
    job = _job(store)
    assert store.claim_many(job, ["a", "b"], stage="model", owner="unit-1") == {"a", "b"}
    assert store.claim_many(job, ["b", "c"], stage="model", owner="unit-2") == {"c"}
    assert store.claim_many(job, ["a", "b", "c"], stage="model", owner="unit-1") == {"a", "b"}
    assert store.claim(job, "c", owner="unit-2")
    assert not store.claim(job, "c")  # an anonymous caller never shares


def test_a_unit_is_accounted_once_however_often_it_runs(store: JobStore) -> None:
    job = _job(store)
    problem = {"model_id": "org/x", "kind": "malformed_card", "message": "bad yaml"}
    assert store.account(job, "unit-1", {Counter.SEEN: 3, Counter.OBSERVATIONS: 10}, [problem])
    assert not store.account(job, "unit-1", {Counter.SEEN: 3, Counter.OBSERVATIONS: 10}, [problem])
    assert store.account(job, "unit-2", {Counter.SEEN: 1})
    snapshot = store.snapshot(job)
    assert snapshot is not None
    assert snapshot.counters[Counter.SEEN.value] == 4
    assert snapshot.counters[Counter.PROBLEMS.value] == 1
    assert snapshot.problems_by_kind == {"malformed_card": 1}


def test_units_keep_their_specs_until_finished_and_can_be_reopened(store: JobStore) -> None:
    job = _job(store)
    store.add_units(job, {"seed:a": '{"task": "t"}', "seed:b": '{"task": "u"}'})
    assert job in store.active_jobs()
    assert store.outstanding(job) == {"seed:a": '{"task": "t"}', "seed:b": '{"task": "u"}'}
    store.finish_unit(job, "seed:a")
    assert store.outstanding(job) == {"seed:b": '{"task": "u"}'}
    assert not store.reopen_unit(job, "seed:b", "x")  # not finished: nothing to reopen
    assert store.reopen_unit(job, "seed:a", '{"task": "t"}')
    assert store.snapshot(job).pending == 2  # type: ignore[union-attr]
    store.finish_unit(job, "seed:a")
    assert store.finish_unit(job, "seed:b") == 0
    assert job not in store.active_jobs()
    assert store.state(job) is JobState.DONE


def test_a_writer_takes_its_batch_and_older_ready_ones_up_to_the_limit(store: JobStore) -> None:
    job = _job(store)
    for key, models in (("w1", 10), ("w2", 20), ("w3", 30), ("w4", 5)):
        store.put_batch(job, key, f'{{"k": "{key}"}}', models)
    store.mark_ready(job, ["w1", "w2", "w3"])
    taken = store.take_batches(job, "w2", max_models=35)
    assert sorted(taken) == ["w1", "w2"]  # own 20 + oldest 10; w3 (30) would pass 35
    assert store.take_batches(job, "w2", max_models=35) == taken  # a redelivery writes the same batches
    assert store.take_batches(job, "w1", max_models=35) == []  # taken by w2, which finishes it
    assert store.taker(job, "w1") == "w2"
    assert store.take_batches(job, "w4", max_models=35) == []  # not ready yet
    store.mark_ready(job, ["w4"])
    assert sorted(store.take_batches(job, "w4", max_models=100)) == ["w3", "w4"]
    store.drop_batches(job, "w2", taken)
    assert store.get_batch(job, "w1") is None and store.taker(job, "w1") is None
    assert store.get_batch(job, "w3") == '{"k": "w3"}'


def test_a_finished_batch_stored_again_is_not_offered_to_writers(store: JobStore) -> None:
    job = _job(store)
    store.add_units(job, ["w1"])
    store.put_batch(job, "w1", "{}", 3)
    store.mark_ready(job, ["w1"])
    assert store.take_batches(job, "w1", max_models=10) == ["w1"]
    store.finish_unit(job, "w1")
    store.drop_batches(job, "w1", ["w1"])
    store.put_batch(job, "w1", "{}", 3)  # a redelivered producer stores it once more
    store.add_units(job, ["w3"])
    store.put_batch(job, "w3", "{}", 3)
    store.mark_ready(job, ["w1", "w3"])
    assert store.take_batches(job, "w3", max_models=10) == ["w3"]  # w1 is not written twice
