"""Per-request accounting for hub calls: a counter and a rate-limiter hook.

huggingface_hub sends every request through one shared ``httpx2.Client``. We attach one
request event hook to that client (idempotently, before each call, so a client
re-created after ``close_session()`` gets it too). The hook does nothing unless a
:class:`RequestMeter` is active in the current context (a :class:`contextvars.ContextVar`,
so threads and concurrent sources never see each other's meter). An active meter counts
the request — every HTTP request, including pagination pages, redirects and retries made
inside the client — and calls ``RateLimiter.acquire(endpoint)`` before it is sent.

``RateLimiter`` is the seam for a shared limit across workers (a Redis token bucket such
as ``workers.ratelimit.RedisTokenBucket``): ``acquire(endpoint)`` blocks until a request
may be sent, or raises; ``endpoint`` is the hub's base URL. A limiter that also has
``pause(endpoint, seconds)`` (:class:`PausableRateLimiter`) is told of every 429 so all
workers wait out the hub's ``Retry-After``. The default limiter does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, runtime_checkable

import httpx2
from huggingface_hub import get_session, set_client_factory
from huggingface_hub.utils._http import default_client_factory

__all__ = ["NoopRateLimiter", "PausableRateLimiter", "RateLimiter", "RequestMeter", "metered"]


@runtime_checkable
class RateLimiter(Protocol):
    """Called once before every HTTP request to a hub; may block (wait for a token) or raise."""

    def acquire(self, endpoint: str) -> None:
        """Wait until one request to ``endpoint`` (the hub's base URL) may be sent."""


@runtime_checkable
class PausableRateLimiter(RateLimiter, Protocol):
    """A limiter that can also stop everyone's requests for a while (a hub's ``Retry-After``)."""

    def pause(self, endpoint: str, seconds: float) -> None:
        """Hold every request to ``endpoint`` for ``seconds``."""


class NoopRateLimiter:
    """The default limiter: never waits."""

    def acquire(self, endpoint: str) -> None:
        return None


class RequestMeter:
    """Counts the HTTP requests made while it is active and applies the rate limiter to each."""

    def __init__(self, endpoint: str, limiter: RateLimiter | None = None) -> None:
        self.endpoint = endpoint
        self.limiter: RateLimiter = limiter if limiter is not None else NoopRateLimiter()
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """Requests sent so far while this meter was active."""
        return self._count

    def on_request(self, request: httpx2.Request) -> None:
        self.limiter.acquire(self.endpoint)
        with self._lock:
            self._count += 1


_ACTIVE: ContextVar[RequestMeter | None] = ContextVar("lineage_crawler_request_meter", default=None)


def _request_hook(request: httpx2.Request) -> None:
    meter = _ACTIVE.get()
    if meter is not None:
        meter.on_request(request)


_factory_lock = threading.Lock()
_factory_installed = False


def _hooked_client() -> httpx2.Client:
    """huggingface_hub's default client, with the request hook. huggingface_hub replaces its shared
    client after a connection error and retries on the new one inside the same call, so the hook
    must be on every client it makes, not only on the one that existed when a crawl began."""
    client = default_client_factory()
    client.event_hooks["request"].append(_request_hook)
    return client


def _ensure_hook_installed() -> None:
    global _factory_installed
    with _factory_lock:
        if not _factory_installed:
            set_client_factory(_hooked_client)
            _factory_installed = True
    hooks = get_session().event_hooks["request"]
    if _request_hook not in hooks:
        hooks.append(_request_hook)


@contextmanager
def metered(meter: RequestMeter) -> Iterator[None]:
    """Within this block, every request huggingface_hub sends is counted by ``meter``."""
    _ensure_hook_installed()
    token = _ACTIVE.set(meter)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
