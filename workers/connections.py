"""Connections to Redis for any process that talks to the workers: the job store and the broker.

Both are bounded in time, so no caller waits forever on a Redis that does not answer:

* :func:`redis_client` — a Redis client with connect and read timeouts, retrying through a
  short outage (about ``redis_patience_s``) and then raising the Redis error;
* :func:`redis_answers` — one ping, no retry, within a given time (readiness probes);
* :func:`publisher` — a publish-only Celery app (broker settings, queues and serializer; no
  task code, no result backend) that sends tasks by name, retrying for about
  ``publish_patience_s`` while the broker is unreachable (:func:`publish_retry_policy`).
"""

from __future__ import annotations

import threading

import redis
from celery import Celery
from kombu import Queue as KombuQueue
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["publish_retry_policy", "publisher", "redis_answers", "redis_client"]

_BACKOFF_CAP_S = 1.0
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 15.0


def redis_client(settings: WorkerSettings) -> redis.Redis:
    """A Redis client that keeps retrying through a short outage (about ``redis_patience_s``)."""
    retries = max(3, int(settings.redis_patience_s / _BACKOFF_CAP_S) + 5)
    return redis.Redis.from_url(
        settings.redis_url,
        retry=Retry(ExponentialBackoff(cap=_BACKOFF_CAP_S, base=0.05), retries),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=READ_TIMEOUT_S,
        health_check_interval=10,
    )


def redis_answers(settings: WorkerSettings, timeout_s: float) -> bool:
    """True when Redis answers one ping within about ``timeout_s`` (no retry: a probe, not a call that must succeed)."""
    probe = redis.Redis.from_url(
        settings.redis_url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=timeout_s, socket_timeout=timeout_s
    )
    try:
        return bool(probe.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        probe.close()


def publish_retry_policy(settings: WorkerSettings) -> dict[str, float | int]:
    """Keep retrying a publish for about ``publish_patience_s`` while the broker is unreachable."""
    step = 0.5
    return {
        "max_retries": max(1, int(settings.publish_patience_s / step)),
        "interval_start": 0,
        "interval_step": step,
        "interval_max": step,
    }


_publishers: dict[str, Celery] = {}
_lock = threading.Lock()


def publisher(settings: WorkerSettings) -> Celery:
    """The publish-only Celery app of ``settings.redis_url`` (one per broker and process)."""
    with _lock:
        app = _publishers.get(settings.redis_url)
        if app is None:
            app = Celery("lineage-publisher", broker=settings.redis_url, set_as_current=False)
            app.conf.update(
                task_serializer="json",
                accept_content=["json"],
                task_default_queue=Queue.MAINTENANCE.value,
                task_queues=[KombuQueue(queue.value) for queue in Queue],
                task_publish_retry_policy=publish_retry_policy(settings),
                broker_transport_options={
                    "socket_connect_timeout": CONNECT_TIMEOUT_S,
                    "socket_timeout": READ_TIMEOUT_S,
                },
                broker_connection_timeout=CONNECT_TIMEOUT_S,
                broker_pool_acquire_timeout=settings.publish_patience_s or CONNECT_TIMEOUT_S,
                enable_utc=True,
            )
            _publishers[settings.redis_url] = app
        return app
