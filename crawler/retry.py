"""Retry policy for hub calls: honour 429 ``Retry-After``; back off with jitter on 5xx/timeouts.

Only :class:`~crawler.errors.RetryableHubError` is retried; a permanent error goes straight
back to the caller. When the attempts run out the policy raises
:class:`~crawler.errors.RetriesExhaustedError` (the source records it as a ``HUB_ERROR``
problem and the model as ``UNAVAILABLE`` — unknown, not deleted).

``sleep`` and ``rand`` are injectable so tests never wait and are deterministic.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

from crawler.errors import RateLimitedError, RetriesExhaustedError, RetryableHubError

__all__ = ["RetryPolicy"]

T = TypeVar("T")

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; 429 waits what the hub asks (capped too).

    ``max_retries`` is the number of retries after the first attempt. The n-th backoff
    (n from 0) is ``uniform(0.5, 1.0) * min(backoff_max_s, backoff_base_s * 2**n)``.
    """

    max_retries: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 600.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)
    on_rate_limited: Callable[[float], None] | None = field(default=None, repr=False)

    def wait(self, error: RetryableHubError, retry_index: int) -> float:
        """Sleep before retry ``retry_index``; a 429 first tells ``on_rate_limited`` (e.g. to pause all workers)."""
        delay = self.delay_for(error, retry_index)
        if isinstance(error, RateLimitedError) and self.on_rate_limited is not None:
            self.on_rate_limited(delay)
        self.sleep(delay)
        return delay

    def delay_for(self, error: RetryableHubError, retry_index: int) -> float:
        """Seconds to wait before retry number ``retry_index`` (0-based) after ``error``."""
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(self.max_retry_after_s, error.retry_after)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**retry_index))
        return float(ceiling * (0.5 + 0.5 * self.rand()))

    def call(self, fn: Callable[[], T], *, what: str = "hub call") -> T:
        """Run ``fn``; retry it on retryable hub errors; give up with RetriesExhaustedError."""
        attempt = 0
        while True:
            try:
                return fn()
            except RetryableHubError as error:
                if attempt >= self.max_retries:
                    raise RetriesExhaustedError(error, attempt + 1) from error
                log.info(
                    "hub.retry",
                    what=what,
                    error=type(error).__name__,
                    status=error.status,
                    attempt=attempt + 1,
                )
                self.wait(error, attempt)
                attempt += 1
