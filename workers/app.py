"""The Celery application: Redis broker, late acknowledgement, idempotent tasks by default."""

from __future__ import annotations

from celery import Celery
from kombu import Queue as KombuQueue

from workers import schemacheck
from workers.beat import beat_schedule
from workers.connections import publish_retry_policy
from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["app", "create_app"]

TASK_MODULES = (
    "workers.tasks.diagnostics",
    "workers.tasks.crawl",
    "workers.tasks.sweep",
    "workers.tasks.write",
    "workers.tasks.maintenance",
    "workers.tasks.propagation",
    "workers.tasks.watch",
)


def create_app(settings: WorkerSettings | None = None) -> Celery:
    settings = settings or WorkerSettings()
    celery = Celery("lineage", broker=settings.redis_url, backend=settings.redis_url, include=list(TASK_MODULES))
    celery.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,  # tasks are idempotent, so a crashed worker's task is safely redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_expires=settings.result_ttl_s,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            # sweep for abandoned (unacknowledged) tasks every `restore_check_s` seconds
            "unacked_restore_interval": min(10, settings.restore_check_s),
            "unacked_restore_throttle": max(1, round(settings.restore_check_s / min(10, settings.restore_check_s))),
        },
        task_publish_retry_policy=publish_retry_policy(settings),
        broker_connection_retry_on_startup=True,
        task_default_queue=Queue.MAINTENANCE.value,
        task_queues=[KombuQueue(queue.value) for queue in Queue],
        worker_hijack_root_logger=False,
        enable_utc=True,
        beat_schedule=beat_schedule(settings),
    )
    return celery


schemacheck.install()  # a worker checks the graph schema and warns; only `lineage migrate` changes it

app = create_app()
