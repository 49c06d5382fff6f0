"""Job orchestration against the real Redis, with no worker: what gets registered, sent, resent."""

from __future__ import annotations

import base64
import json

import pytest
import redis

from workers import pipeline
from workers.connections import redis_client
from workers.contract import TASK_CHILDREN, TASK_FINALIZE, TASK_SEED, JobOptions
from workers.jobs import Counter, JobStore
from workers.settings import WorkerSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(redis_url: str) -> WorkerSettings:
    url = redis_url.rsplit("/", 1)[0] + "/4"  # nobody consumes here: sent tasks stay in their queues
    redis.Redis.from_url(url).flushdb()
    return WorkerSettings(redis_url=url, stall_after_s=60, publish_patience_s=1)


@pytest.fixture
def store(settings: WorkerSettings) -> JobStore:
    return JobStore(redis_client(settings))


def _queued(settings: WorkerSettings, queue: str) -> list[tuple[str, list[object]]]:
    """(task name, args) of the messages waiting in a queue, oldest first."""
    client = redis.Redis.from_url(settings.redis_url)
    out = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], body[0]))
    return out


def test_a_job_starts_with_its_seeds_sent_and_its_final_step_registered(
    settings: WorkerSettings, store: JobStore
) -> None:
    options = JobOptions(seeds=("org/a", "org/b"), endpoint="http://hub.test", down=1)
    job_id = pipeline.start_job(store, options, settings)
    assert sorted(store.outstanding(job_id)) == ["finalize", "seed:org/a", "seed:org/b"]
    assert _queued(settings, "hub") == [
        (TASK_SEED, [job_id, "seed:org/a", "org/a"]),
        (TASK_SEED, [job_id, "seed:org/b", "org/b"]),
    ]
    assert _queued(settings, "graph") == []  # finalize waits for the seeds


def test_finalize_is_sent_when_the_last_other_unit_finishes(settings: WorkerSettings, store: JobStore) -> None:
    job_id = pipeline.start_job(store, JobOptions(seeds=("org/a", "org/b"), endpoint="http://hub.test"), settings)
    assert pipeline.complete(store, job_id, "seed:org/a", settings) == 2
    assert _queued(settings, "graph") == []
    assert pipeline.complete(store, job_id, "seed:org/b", settings) == 1
    assert _queued(settings, "graph") == [(TASK_FINALIZE, [job_id, "finalize"])]
    assert pipeline.complete(store, job_id, "seed:org/b", settings) == -1  # a duplicate finishes nothing


def test_a_stalled_job_has_its_outstanding_units_sent_again_and_reported(
    settings: WorkerSettings, store: JobStore
) -> None:
    job_id = pipeline.start_job(store, JobOptions(seeds=("org/a",), endpoint="http://hub.test", down=2), settings)
    unit = pipeline.children_unit(1, ["org/a"])
    pipeline.enqueue(store, job_id, [unit], settings)
    pipeline.complete(store, job_id, "seed:org/a", settings)
    redis.Redis.from_url(settings.redis_url).delete("hub")  # the broker lost the queued message
    progress = store.snapshot(job_id).progress_at  # type: ignore[union-attr]
    assert progress is not None

    assert pipeline.resend_stalled(store, settings, now=progress + 30) == {}  # not stalled yet
    resent = pipeline.resend_stalled(store, settings, now=progress + 61)
    assert resent == {job_id: [unit.key]}  # finalize is not sent while work is outstanding
    assert _queued(settings, "hub") == [(TASK_CHILDREN, [job_id, unit.key, 1, ["org/a"], 0])]
    report = store.snapshot(job_id)
    assert report is not None
    assert report.counters[Counter.RESENT.value] == 1
    assert [(s["kind"], s["model_id"]) for s in report.problem_samples] == [("stalled_unit_resent", unit.key)]
    assert pipeline.resend_stalled(store, settings, now=progress + 62) == {}  # the resend counts as progress
