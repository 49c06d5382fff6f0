"""Send the dispatch of a batch's changes to the watches (by task name: no import of the task itself)."""

from __future__ import annotations

import structlog

from workers.connections import publish_retry_policy, publisher
from workers.contract import TASK_DISPATCH
from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["CLI_PATIENCE_S", "send_dispatch"]

CLI_PATIENCE_S = 3.0
"""How long a command (import, propagate) keeps trying to reach an unreachable broker."""

log = structlog.get_logger(__name__)


def send_dispatch(batch: str, settings: WorkerSettings | None = None, *, patience_s: float | None = None) -> None:
    """Ask the maintenance workers to dispatch ``batch``; a lost message is caught up by the leftover sweep.

    ``patience_s``: how long to keep trying while the broker is unreachable (the command line passes a few
    seconds: an import or a recompute in a process of its own does not wait long for a broker that is away).
    """
    settings = settings or WorkerSettings()
    if patience_s is not None:
        settings = settings.model_copy(update={"publish_patience_s": patience_s})
    try:
        publisher(settings).send_task(TASK_DISPATCH, args=[batch], queue=Queue.MAINTENANCE.value,
                                      retry=True, retry_policy=publish_retry_policy(settings))
    except Exception as exc:  # noqa: BLE001 - the leftover sweep dispatches it later; never fail the writer
        log.warning("watch.dispatch_not_sent", batch=batch, error=f"{type(exc).__name__}: {exc}")
