"""CPU work of async reads, off the event loop: one thread per process, in the caller's context.

Engine passes, scope summaries and dossier assembly are pure Python, so under the GIL a second
thread adds no throughput, only contention: every CPU-bound thread the event loop competes with
costs it up to one switch interval (5 ms by default) each time it wants the interpreter back, and
``/healthz`` waited over 100 ms under load with the six threads of asyncio's default executor.
So compute steps run one at a time in a dedicated thread (others queue, bounded by admission
control and stopped by their deadline), and the default executor stays free for the driver's
address look-ups and the few blocking writes. The caller's context (its deadline,
:mod:`terms.deadline`) goes with the work.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["off_loop"]

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None


def _compute_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lineage-compute")
    return _executor


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the compute thread, with the caller's context variables."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args)
    return await asyncio.get_running_loop().run_in_executor(_compute_executor(), call)
