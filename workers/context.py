"""Per-process resources of a worker (or of a client): Redis, the job store, limiters, Neo4j.

Built lazily on first use and rebuilt after a fork (a prefork child never shares its
parent's sockets). Redis calls retry for ``redis_patience_s`` while Redis is unreachable
(a restart), so a short outage pauses tasks instead of failing them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field

import redis
from neo4j import Driver

from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from graph.db import sync_driver
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter
from workers.connections import redis_client
from workers.hublimit import HubLimiter
from workers.jobs import JobStore
from workers.ratelimit import RedisTokenBucket
from workers.settings import WorkerSettings

__all__ = ["Resources", "reset_resources", "resources"]

@dataclass
class Resources:
    """What tasks share inside one process."""

    settings: WorkerSettings
    redis: redis.Redis
    jobs: JobStore
    neo4j: Neo4jSettings = field(default_factory=Neo4jSettings)
    _limiters: dict[str, HubLimiter] = field(default_factory=dict)
    _driver: Driver | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def limiter(self, endpoint: str) -> HubLimiter:
        """The shared limit of ``endpoint`` (a Redis token bucket; rate and burst from settings), paused by 429s."""
        key = endpoint.rstrip("/")
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                rate = self.settings.rate_for(key)
                limiter = HubLimiter(key, RedisTokenBucket(self.redis, rate=rate.rate, burst=rate.burst))
                self._limiters[key] = limiter
            return limiter

    def source(self, endpoint: str, *, history: bool | None = None) -> HubSource:
        """A crawler source on ``endpoint`` behind the shared limiter (HF_TOKEN and LINEAGE_CRAWLER_* from the environment).

        ``history``: read commit histories of the models fetched (None: as LINEAGE_CRAWLER_HISTORY says, off by default).
        """
        settings = CrawlerSettings(endpoint=endpoint)
        if history is not None:
            settings = settings.model_copy(update={"history": history})
        return HubSource(settings, rate_limiter=self.limiter(settings.endpoint.rstrip("/")))

    def driver(self) -> Driver:
        with self._lock:
            if self._driver is None:
                self._driver = sync_driver(self.neo4j)
            return self._driver

    def writer(self) -> GraphWriter:
        """A writer that leaves the ancestry index to the end of the job (see graph.recrawl.rebuild_ancestry)."""
        return GraphWriter(
            self.driver(), database=self.neo4j.database, batch_size=self.neo4j.batch_size, maintain_ancestry=False
        )

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None
        self.redis.close()


_resources: Resources | None = None
_guard = threading.Lock()


def resources(settings: WorkerSettings | None = None) -> Resources:
    """This process's resources (built on first use)."""
    global _resources
    with _guard:
        if _resources is None:
            settings = settings or WorkerSettings()
            client = redis_client(settings)
            _resources = Resources(settings=settings, redis=client, jobs=JobStore(client))
        return _resources


def reset_resources() -> None:
    """Forget this process's resources (after a fork, or in tests that change the environment)."""
    global _resources
    with _guard:
        current, _resources = _resources, None
    if current is not None:
        with contextlib.suppress(Exception):  # closing a stale client must never fail the caller
            current.close()


def _after_fork() -> None:
    global _resources
    _resources = None  # the parent's sockets are not ours; build new ones on first use


os.register_at_fork(after_in_child=_after_fork)
