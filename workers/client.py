"""The small client other processes (the API, the CLI) use to start, cancel and read crawl jobs
and to ask for propagation results to be recomputed.

It needs only Redis (``REDIS_URL``) and :mod:`workers.contract`: tasks are sent by name through
a publish-only Celery app (:func:`workers.connections.publisher`), the job store is read with
redis-py, and neither the crawler, the graph nor the task code is imported. Every call is
bounded in time; Redis and broker failures surface as
:class:`~workers.contract.CoordinationUnavailable`::

    from workers.client import CrawlClient
    client = CrawlClient()
    job_id = client.request_crawl(["HuggingFaceH4/zephyr-7b-beta"], up=True, down=1, deployers=False)
    job_id = client.request_sweep(full=True)   # list the whole hub (or full=False: what changed since the mark)
    client.job(job_id)        # JobSnapshot | None: state, counters, problems by kind, pending units
    client.cancel(job_id)     # True if it was running
    client.request_recompute(["HuggingFaceH4/zephyr-7b-beta"])  # the recompute task's id

Module-level :func:`request_crawl`, :func:`cancel` and :func:`job` use one shared client.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

import redis
from kombu.exceptions import LimitExceeded, OperationalError

from workers import pipeline
from workers.connections import publish_retry_policy, publisher, redis_answers, redis_client
from workers.contract import (
    TASK_RECOMPUTE,
    CoordinationUnavailable,
    InvalidCrawlRequest,
    JobOptions,
    JobSnapshot,
    JobState,
)
from workers.jobs import JobStore
from workers.queues import Queue
from workers.settings import WorkerSettings

__all__ = ["CrawlClient", "cancel", "job", "request_crawl", "seed_problem"]

MAX_SEEDS = 10_000
MAX_RECOMPUTE_IDS = 10_000

T = TypeVar("T")

# The Hub's own rule for a repository id (huggingface_hub's validate_repo_id), so that a bad seed
# is refused before anything is enqueued; the crawler checks every id it reads again.
_REPO_ID = re.compile(r"(\b[\w\-.]{1,96}\b/)?\b[\w\-.]{1,96}\b", re.ASCII)


def seed_problem(candidate: str) -> str | None:
    """Why ``candidate`` is not a Hub model id, or None when it is one."""
    if candidate != candidate.strip() or not candidate:
        return "blank or padded"
    if candidate.count("/") > 1:
        return "more than one '/'"
    if not _REPO_ID.fullmatch(candidate):
        return "use letters, digits, '-', '_' or '.', at most 96 of them, not starting or ending with '-' or '.'"
    if "--" in candidate or ".." in candidate:
        return "'--' and '..' are not allowed"
    if candidate.endswith(".git"):
        return "cannot end with '.git'"
    return None


class CrawlClient:
    """Starts, cancels and reads crawl jobs, and enqueues recomputes, through Redis."""

    def __init__(self, settings: WorkerSettings | None = None) -> None:
        self.settings = settings or WorkerSettings()
        self.store = JobStore(redis_client(self.settings))

    @classmethod
    def for_redis(cls, redis_url: str | None = None) -> CrawlClient:
        """A client of the Redis at ``redis_url`` (default ``REDIS_URL``), other settings from the environment."""
        return cls(WorkerSettings.model_validate({"REDIS_URL": redis_url}) if redis_url else WorkerSettings())

    def request_crawl(
        self,
        seeds: Iterable[str],
        up: bool = True,
        down: int = 0,
        deployers: bool = False,
        endpoint: str | None = None,
        *,
        force: bool = False,
        breadth: int | None = None,
        history: bool = True,
    ) -> str:
        """Enqueue a crawl job and return its id.

        ``up``: follow declared bases to the roots; ``down``: levels of children to list;
        ``deployers``: list the Spaces and inference providers of each seed; ``endpoint``: the
        hub (default ``HF_ENDPOINT`` or huggingface.co); ``force``: re-read models whose sha
        has not changed; ``history``: read each fetched model's commit history so that its licence and
        base-model declarations are dated by their commits (crawler.history). Raises
        :class:`~workers.contract.InvalidCrawlRequest`.
        """
        wanted = list(dict.fromkeys(s.strip() for s in seeds if s and s.strip()))
        if not wanted:
            raise InvalidCrawlRequest("a crawl needs at least one seed model id")
        if len(wanted) > MAX_SEEDS:
            raise InvalidCrawlRequest(f"at most {MAX_SEEDS} seeds per crawl, got {len(wanted)}")
        invalid = [(seed, reason) for seed in wanted if (reason := seed_problem(seed)) is not None]
        if invalid:
            seed, reason = invalid[0]
            raise InvalidCrawlRequest(f"{seed!r} is not a model id: {reason}")
        if isinstance(down, bool) or not 0 <= down <= self.settings.max_down:
            raise InvalidCrawlRequest(f"down must be from 0 to {self.settings.max_down}, got {down!r}")
        width = self.settings.default_breadth if breadth is None else breadth
        if not 1 <= width <= 100_000:
            raise InvalidCrawlRequest(f"breadth must be from 1 to 100000, got {width!r}")
        hub = self._endpoint(endpoint)
        options = JobOptions(
            seeds=tuple(wanted), endpoint=hub, up=up, down=down, deployers=deployers, breadth=width, force=force,
            history=history,
        )
        return self._redis(lambda: pipeline.start_job(self.store, options, self.settings))

    def request_sweep(
        self,
        *,
        full: bool = False,
        since: datetime | None = None,
        endpoint: str | None = None,
        if_idle: bool = False,
    ) -> str | None:
        """Enqueue a sweep of the hub's model listing and return its job id.

        ``full``: list every model (then models no longer listed are marked stale); otherwise list
        the most recently modified first and stop at ``since`` (default: the high-water mark the last
        sweep stored, less ``sweep_overlap_s``; the whole listing if there is none). ``if_idle``:
        start nothing (and return None) while a sweep of the same hub is still running.
        """
        if full and since is not None:
            raise InvalidCrawlRequest("a sweep is either full or since a time, not both")
        hub = self._endpoint(endpoint)
        if since is not None and since.tzinfo is None:
            raise InvalidCrawlRequest("since needs a time zone (e.g. 2025-07-01T00:00:00Z)")
        options = JobOptions(
            seeds=(), endpoint=hub, sweep="full" if full else "since",
            since=None if since is None else since.isoformat(), page_size=self.settings.sweep_page_size,
        )
        marker = f"lineage:sweep:current:{hub}"

        def start() -> str | None:
            if if_idle:
                current = self.store.client.get(marker)
                if current is not None and self.store.state(current.decode()) is JobState.RUNNING:
                    return None
            job_id = pipeline.start_sweep(self.store, options, self.settings)
            self.store.client.set(marker, job_id, ex=7 * 86_400)
            return job_id

        return self._redis(start)

    def _endpoint(self, endpoint: str | None) -> str:
        hub = (endpoint or self.settings.hub_endpoint).rstrip("/")
        if not hub.startswith(("http://", "https://")):
            raise InvalidCrawlRequest(f"endpoint must be an http(s) URL, got {hub!r}")
        return hub

    def request_deep_crawl(self, model_ids: Iterable[str], endpoint: str | None = None) -> str | None:
        """Crawl these models (known only from a listing) in depth, unless asked within ``deepen_every_s``.

        Each id is claimed for ``deepen_every_s`` in Redis, so a dossier asked again and again starts one
        crawl, not one per request. Returns the job id, or None when every id was asked for recently.
        """
        hub = self._endpoint(endpoint)
        wanted = sorted({m for m in model_ids if m and seed_problem(m) is None})[:MAX_SEEDS]

        def start() -> str | None:
            fresh = [m for m in wanted
                     if self.store.client.set(f"lineage:deepen:{hub}:{m}", "1", nx=True, ex=self.settings.deepen_every_s)]
            if not fresh:
                return None
            options = JobOptions(seeds=tuple(fresh), endpoint=hub, up=False, down=0, deployers=True,
                                 breadth=self.settings.default_breadth)
            return pipeline.start_job(self.store, options, self.settings)

        return self._redis(start)

    def cancel(self, job_id: str) -> bool:
        """Stop a running job (its queued units return without work); False if it is not running."""
        return self._redis(lambda: self.store.cancel(job_id))

    def job(self, job_id: str) -> JobSnapshot | None:
        """The job's state, live counters and report; None if no such job is known."""
        return self._redis(lambda: self.store.snapshot(job_id))

    def request_recompute(self, model_ids: Iterable[str], batch: str | None = None) -> str:
        """Enqueue the recompute of these models' propagation results and of every descendant; returns the task id.

        The results are refreshed asynchronously, by a worker of the propagation queue. ``batch``: the write
        batch whose change records the recompute's join (then dispatched to the watches).
        """
        ids = sorted({m for m in model_ids if m})
        if not ids or len(ids) > MAX_RECOMPUTE_IDS:
            raise InvalidCrawlRequest(f"a recompute names 1 to {MAX_RECOMPUTE_IDS} models, got {len(ids)}")
        try:
            sent = publisher(self.settings).send_task(
                TASK_RECOMPUTE, args=[ids, batch], queue=Queue.PROPAGATION.value,
                retry=True, retry_policy=publish_retry_policy(self.settings),
            )
        except (OperationalError, LimitExceeded, redis.RedisError) as exc:
            raise CoordinationUnavailable(f"the broker did not take the recompute: {exc}") from exc
        return str(sent.id)

    def is_reachable(self, timeout_s: float) -> bool:
        """True when Redis (job store and broker) answers a ping within about ``timeout_s``."""
        return redis_answers(self.settings, timeout_s)

    def _redis(self, call: Callable[[], T]) -> T:
        """Run a job-store call; an unreachable or silent Redis becomes CoordinationUnavailable."""
        try:
            return call()
        except redis.RedisError as exc:
            raise CoordinationUnavailable(f"the job store did not answer: {exc}") from exc


_default: CrawlClient | None = None
_lock = threading.Lock()


def _client() -> CrawlClient:
    global _default
    with _lock:
        if _default is None:
            _default = CrawlClient()
        return _default


def request_crawl(
    seeds: Iterable[str], up: bool = True, down: int = 0, deployers: bool = False, endpoint: str | None = None
) -> str:
    """Enqueue a crawl job with the shared client; see :meth:`CrawlClient.request_crawl`."""
    return _client().request_crawl(seeds, up, down, deployers, endpoint)


def cancel(job_id: str) -> bool:
    return _client().cancel(job_id)


def job(job_id: str) -> JobSnapshot | None:
    return _client().job(job_id)
