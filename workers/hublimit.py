"""The crawler's rate-limiter seam, filled with the shared Redis bucket and told of every 429.

``HubSource`` asks its limiter before each request (``acquire``) and, for the calls it retries
itself, tells it of a 429 (``pause``). Listings are retried inside huggingface_hub, which sleeps
out a 429's ``Retry-After`` in the thread that met it and tells no one. :class:`HubLimiter` also
hooks huggingface_hub's HTTP responses, so that *any* 429 from a hub pauses the shared bucket of
that hub for its ``Retry-After``: every worker waits, not only the one that was refused.
"""

from __future__ import annotations

import threading

import httpx2
from huggingface_hub import get_session

from crawler.errors import parse_retry_after
from workers.ratelimit import RedisTokenBucket

__all__ = ["HubLimiter"]

_DEFAULT_PAUSE_S = 1.0
_registry: dict[str, RedisTokenBucket] = {}  # endpoint → its shared bucket (this process)
_lock = threading.Lock()


def _on_response(response: httpx2.Response) -> None:
    if response.status_code != 429:
        return
    url = str(response.request.url)
    with _lock:
        matches = [(endpoint, bucket) for endpoint, bucket in _registry.items() if url.startswith(endpoint)]
    if not matches:
        return
    endpoint, bucket = max(matches, key=lambda item: len(item[0]))
    seconds = parse_retry_after(response.headers)
    bucket.pause(endpoint, seconds if seconds is not None else _DEFAULT_PAUSE_S)


def _ensure_hook() -> None:
    hooks = get_session().event_hooks["response"]
    if _on_response not in hooks:
        hooks.append(_on_response)


class HubLimiter:
    """``RateLimiter`` and ``PausableRateLimiter`` for one hub endpoint, backed by a shared Redis bucket."""

    def __init__(self, endpoint: str, bucket: RedisTokenBucket) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        with _lock:
            _registry[self.endpoint] = bucket

    def acquire(self, endpoint: str) -> None:
        _ensure_hook()  # (again after huggingface_hub replaced its client)
        self.bucket.acquire(endpoint)

    def pause(self, endpoint: str, seconds: float) -> None:
        self.bucket.pause(endpoint, seconds)
