"""The beat schedule: periodic refresh of known models, the sweep that un-stalls crawl jobs, the dispatch of
changes whose dispatch never came (every minute) and the pruning of old change records (daily).

Run beat once per deployment (``celery -A workers.app beat`` or ``lineage worker --beat`` on
a single host); the tasks it sends are ordinary idempotent tasks on the usual queues.
"""

from __future__ import annotations

from typing import Any

from workers.contract import TASK_DISPATCH_LEFTOVERS, TASK_PRUNE_CHANGES, TASK_SWEEP_START
from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["REFRESH_TASK", "RESEND_STALLED_TASK", "SWEEP_START_TASK", "beat_schedule"]

REFRESH_TASK = "lineage.crawl.refresh"
RESEND_STALLED_TASK = "lineage.crawl.resend_stalled"
SWEEP_START_TASK = TASK_SWEEP_START


def beat_schedule(settings: WorkerSettings) -> dict[str, dict[str, Any]]:
    """Celery ``beat_schedule``: refresh every ``refresh_interval_s``, look for stalled jobs every
    ``resend_check_s``, and (unless ``sweep_every_s`` is 0) sweep the hub listing incrementally."""
    schedule: dict[str, dict[str, Any]] = {
        "refresh-known-models": {
            "task": REFRESH_TASK,
            "schedule": float(settings.refresh_interval_s),
            "options": {"queue": Queue.HUB.value, "expires": float(settings.refresh_interval_s)},
        },
        "dispatch-leftover-changes": {
            "task": TASK_DISPATCH_LEFTOVERS,
            "schedule": 60.0,
            "options": {"queue": Queue.MAINTENANCE.value, "expires": 60.0},
        },
        "prune-changes": {
            "task": TASK_PRUNE_CHANGES,
            "schedule": 86_400.0,
            "options": {"queue": Queue.MAINTENANCE.value, "expires": 86_400.0},
        },
        "resend-stalled-units": {
            "task": RESEND_STALLED_TASK,
            "schedule": float(settings.resend_check_s),
            "options": {"queue": Queue.MAINTENANCE.value, "expires": float(settings.resend_check_s)},
        },
    }
    if settings.sweep_every_s:
        schedule["sweep-hub-listing"] = {
            "task": SWEEP_START_TASK,
            "schedule": float(settings.sweep_every_s),
            "options": {"queue": Queue.MAINTENANCE.value, "expires": float(settings.sweep_every_s)},
        }
    return schedule
