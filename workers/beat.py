"""The beat schedule: periodic refresh of known models and the sweep that un-stalls crawl jobs.

Run beat once per deployment (``celery -A workers.app beat`` or ``lineage worker --beat`` on
a single host); the tasks it sends are ordinary idempotent tasks on the usual queues.
"""

from __future__ import annotations

from typing import Any

from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["REFRESH_TASK", "SWEEP_TASK", "beat_schedule"]

REFRESH_TASK = "lineage.crawl.refresh"
SWEEP_TASK = "lineage.crawl.sweep"


def beat_schedule(settings: WorkerSettings) -> dict[str, dict[str, Any]]:
    """Celery ``beat_schedule``: refresh every ``refresh_interval_s``, sweep every ``sweep_interval_s``."""
    return {
        "refresh-known-models": {
            "task": REFRESH_TASK,
            "schedule": float(settings.refresh_interval_s),
            "options": {"queue": Queue.HUB.value, "expires": float(settings.refresh_interval_s)},
        },
        "sweep-stalled-jobs": {
            "task": SWEEP_TASK,
            "schedule": float(settings.sweep_interval_s),
            "options": {"queue": Queue.MAINTENANCE.value, "expires": float(settings.sweep_interval_s)},
        },
    }
