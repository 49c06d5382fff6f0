"""Admission control: each API process runs a bounded number of GraphQL operations at once.

An operation takes a slot before it is parsed. When every slot is taken it may wait in a short,
bounded queue for ``wait_s``; when the queue is full too, or the wait runs out, it is refused at
once with :class:`Overloaded` (HTTP 503 with ``Retry-After``). Overload therefore degrades into
quick refusals that clients can retry, instead of a queue that grows until every request times
out, and the event loop keeps time for ``/healthz`` and ``/readyz``.

Limits (``ApiSettings``): ``max_concurrent_operations`` slots, ``max_waiting_operations`` places
in the queue, ``admission_wait_s`` longest wait, ``retry_after_s`` the hint given when refusing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["Admission", "Overloaded"]


class Overloaded(Exception):
    """Every slot is taken and the queue is full (or the wait ran out): answer 503."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("the server is busy; retry shortly")
        self.retry_after_s = retry_after_s


class Admission:
    """Slots for concurrent operations in one process (one event loop)."""

    def __init__(self, *, slots: int, waiting: int, wait_s: float, retry_after_s: int) -> None:
        self.slots = slots
        self.waiting_limit = waiting
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self._free = asyncio.Semaphore(slots)
        self._waiting = 0
        self.refused = 0

    @property
    def running(self) -> int:
        return self.slots - self._free._value  # noqa: SLF001 - asyncio exposes no public count

    @property
    def waiting(self) -> int:
        return self._waiting

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block; raises :class:`Overloaded` when none can be had in time."""
        if self._free.locked():
            if self._waiting >= self.waiting_limit:
                self.refused += 1
                raise Overloaded(self.retry_after_s)
            self._waiting += 1
            try:
                async with asyncio.timeout(self.wait_s):
                    await self._free.acquire()
            except TimeoutError:
                self.refused += 1
                raise Overloaded(self.retry_after_s) from None
            finally:
                self._waiting -= 1
        else:
            await self._free.acquire()
        try:
            yield
        finally:
            self._free.release()
