"""A task goes through Redis to a running Celery worker and its result comes back."""

from __future__ import annotations

import subprocess

import pytest
from neo4j import Driver

from workers.app import app
from workers.queues import Queue
from workers.tasks.diagnostics import worker_report

pytestmark = pytest.mark.integration


def test_worker_runs_a_task_that_reads_the_graph(
    celery_worker: subprocess.Popen[bytes], clean_graph: Driver
) -> None:
    clean_graph.execute_query("UNWIND range(1, 3) AS i CREATE (:Model {id: 'm' + i})")
    result = worker_report.apply_async(queue=Queue.MAINTENANCE.value).get(timeout=30)
    assert result["neo4j"] == "ok"
    assert result["models"] == 3


def test_tasks_are_acknowledged_late_by_default() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert {q.name for q in app.conf.task_queues} == {q.value for q in Queue}
