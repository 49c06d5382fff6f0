"""Crawl jobs and recomputes through the workers' client (Redis only: no task code, graph or crawler).

The client is synchronous (redis-py); its calls run in a worker thread. Bad requests become
:class:`api.errors.BadUserInput`, an unreachable Redis :class:`api.errors.ServiceUnavailable`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from api.errors import BadUserInput, ServiceUnavailable
from workers.client import CrawlClient
from workers.contract import CoordinationUnavailable, InvalidCrawlRequest, JobSnapshot

__all__ = ["CrawlService"]

T = TypeVar("T")


class CrawlService:
    """Starts, cancels and reads crawl jobs, and enqueues recomputes; the client is created on first use."""

    def __init__(self, redis_url: str | None = None, *, client: CrawlClient | None = None) -> None:
        self._redis_url = redis_url
        self._client = client
        self._lock = threading.Lock()

    def _get(self) -> CrawlClient:
        with self._lock:
            if self._client is None:
                self._client = CrawlClient.for_redis(self._redis_url)
            return self._client

    async def _call(self, fn: Callable[[CrawlClient], T]) -> T:
        def work() -> T:
            return fn(self._get())

        try:
            return await asyncio.to_thread(work)
        except InvalidCrawlRequest as exc:
            raise BadUserInput(str(exc)) from exc
        except CoordinationUnavailable as exc:
            raise ServiceUnavailable("the job store is unavailable right now; try again shortly") from exc

    async def request(self, seeds: Sequence[str], *, up: bool, down: int, deployers: bool) -> JobSnapshot:
        """Enqueue a crawl and return the new job."""

        def start(client: CrawlClient) -> JobSnapshot:
            job_id = client.request_crawl(list(seeds), up, down, deployers)
            snapshot = client.job(job_id)
            if snapshot is None:  # pragma: no cover - the job was just created
                raise CoordinationUnavailable(f"job {job_id} vanished right after it was created")
            return snapshot

        return await self._call(start)

    async def request_sweep(self, *, full: bool, since: datetime | None) -> JobSnapshot:
        """Enqueue a sweep of the configured hub's listing and return the new job."""

        def start(client: CrawlClient) -> JobSnapshot:
            job_id = client.request_sweep(full=full, since=since)
            snapshot = None if job_id is None else client.job(job_id)
            if snapshot is None:  # pragma: no cover - the job was just created
                raise CoordinationUnavailable(f"sweep {job_id} vanished right after it was created")
            return snapshot

        return await self._call(start)

    async def deepen(self, model_ids: Sequence[str]) -> str | None:
        """Request a deep crawl of models known only from a listing (at most once an hour each); the job id or None."""
        return await self._call(lambda client: client.request_deep_crawl(model_ids))

    async def cancel(self, job_id: str) -> JobSnapshot | None:
        """Cancel a running job; returns the job as it is now (None when unknown)."""

        def stop(client: CrawlClient) -> JobSnapshot | None:
            client.cancel(job_id)
            return client.job(job_id)

        return await self._call(stop)

    async def job(self, job_id: str) -> JobSnapshot | None:
        return await self._call(lambda client: client.job(job_id))

    async def is_reachable(self, timeout_s: float) -> bool:
        """True when the job store answers within ``timeout_s`` (readiness)."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(lambda: self._get().is_reachable(timeout_s)), timeout_s + 1)
        except TimeoutError:
            return False

    async def recompute(self, model_ids: Sequence[str], batch: str | None = None) -> str:
        """Enqueue the recompute of these models' propagation results and their descendants'; returns the task id.
        ``batch``: the write batch whose change records the recompute's join (then dispatched to the watches)."""
        return await self._call(lambda client: client.request_recompute(model_ids, batch))
