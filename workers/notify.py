"""Send the dispatch of a batch's changes to the watches (by task name: no import of the task itself)."""

from __future__ import annotations

import structlog

from workers.connections import publish_retry_policy, publisher
from workers.contract import TASK_DISPATCH
from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["send_dispatch"]

log = structlog.get_logger(__name__)


def send_dispatch(batch: str, settings: WorkerSettings | None = None) -> None:
    """Ask the maintenance workers to dispatch ``batch``; a lost message is caught up by the leftover sweep."""
    settings = settings or WorkerSettings()
    try:
        publisher(settings).send_task(TASK_DISPATCH, args=[batch], queue=Queue.MAINTENANCE.value,
                                      retry=True, retry_policy=publish_retry_policy(settings))
    except Exception as exc:  # noqa: BLE001 - the leftover sweep dispatches it later; never fail the writer
        log.warning("watch.dispatch_not_sent", batch=batch, error=f"{type(exc).__name__}: {exc}")
