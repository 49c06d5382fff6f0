"""Deadlines that really stop CPU work: a per-request instant that long loops check.

An API request sets a deadline (:func:`within`) for everything it does. The deadline lives in a
context variable, so it follows the request into the worker threads that run its CPU-heavy
steps (``asyncio.to_thread`` copies the context). Loops that scale with the graph (the
propagation engine's pass, scope summaries, dossier assembly) call :func:`check` between
items: past the deadline it raises :class:`DeadlineExceeded`, so the thread stops working for a
request that has already been answered with a timeout, instead of running on for minutes.

Outside :func:`within` (workers, commands, tests) there is no deadline and :func:`check` costs
one context-variable read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


__all__ = ["DeadlineExceeded", "check", "remaining", "within"]

_deadline: ContextVar[float | None] = ContextVar("lineage_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The request's deadline passed while its work was still running (answered as a timeout,
    like a graph transaction that ran out of time)."""


@contextmanager
def within(seconds: float | None) -> Iterator[None]:
    """Run the block with a deadline ``seconds`` from now (None: no deadline; an outer one stays)."""
    if seconds is None:
        yield
        return
    until = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(until if outer is None else min(outer, until))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the deadline (None without one)."""
    until = _deadline.get()
    return None if until is None else until - time.monotonic()


def check() -> None:
    """Raise :class:`DeadlineExceeded` when the current deadline has passed."""
    until = _deadline.get()
    if until is not None and time.monotonic() > until:
        raise DeadlineExceeded("the request's time ran out while it was being computed")
