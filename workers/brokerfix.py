"""A guard around a kombu 5.7 / Celery 5.7 failure when the Redis broker goes away.

When the broker connection is lost, Celery's consumer collects the broken connection and then
closes it. A Redis channel that still has work to do afterwards — restoring its unacknowledged
messages on close, or acknowledging a task that finishes after the reconnect — builds a new
Redis client from the connection that was just collected and fails with ``AttributeError:
'NoneType' object has no attribute 'hostname'`` (or ``'client'``). Celery only tolerates
connection errors there; an ``AttributeError`` is "unrecoverable" and the worker exits.

Nothing is lost by not doing that work on a dead channel: the messages are still in Redis (the
``unacked`` hash), and every worker's periodic ``restore_visible`` sweep puts them back in their
queue once the visibility timeout has passed (tasks are idempotent, so a redelivery of a task
that had finished only costs its rerun). :func:`install` therefore makes a channel whose
connection is gone raise a Redis ``ConnectionError`` — which kombu and Celery handle as the
connection error it is — and lets the restore on close give up quietly.
"""

from __future__ import annotations

from typing import Any

import redis
import structlog
from kombu.transport import redis as kombu_redis

__all__ = ["install"]

log = structlog.get_logger(__name__)

_MARK = "_lineage_guarded"


def install() -> None:
    """Install both guards (idempotent)."""
    channel = kombu_redis.Channel
    if not getattr(channel._connparams, _MARK, False):
        original_connparams = channel._connparams

        def _connparams(self: Any, asynchronous: bool = False) -> Any:
            transport = getattr(self, "connection", None)
            if transport is None or getattr(transport, "client", None) is None:
                raise redis.ConnectionError("the broker connection of this channel was closed")
            return original_connparams(self, asynchronous)  # type: ignore[no-untyped-call]

        setattr(_connparams, _MARK, True)
        setattr(channel, "_connparams", _connparams)  # noqa: B010

    qos = kombu_redis.QoS
    if not getattr(qos.restore_unacked, _MARK, False):
        original_restore = qos.restore_unacked

        def restore_unacked(self: Any, client: Any = None) -> Any:
            try:
                return original_restore(self, client)  # type: ignore[no-untyped-call]
            except (AttributeError, redis.ConnectionError) as exc:  # left to the visibility sweep
                pending = len(self._delivered)
                self._delivered.clear()
                log.warning("broker.restore_deferred", messages=pending, reason=str(exc))
                return None

        setattr(restore_unacked, _MARK, True)
        setattr(qos, "restore_unacked", restore_unacked)  # noqa: B010
