"""The small client other processes (the API, the CLI) use to start, cancel and read crawl jobs.

It needs only Redis (``REDIS_URL``); callers never import Celery::

    from workers.client import CrawlClient
    client = CrawlClient()
    job_id = client.request_crawl(["HuggingFaceH4/zephyr-7b-beta"], up=True, down=1, deployers=False)
    client.job(job_id)        # JobSnapshot | None: state, counters, problems by kind, pending units
    client.cancel(job_id)     # True if it was running

Module-level :func:`request_crawl`, :func:`cancel` and :func:`job` use one shared client.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from crawler.parsing import check_repo_id
from crawler.settings import CrawlerSettings
from workers import pipeline
from workers.context import redis_client
from workers.errors import InvalidCrawlRequest
from workers.jobs import JobOptions, JobSnapshot, JobStore
from workers.settings import WorkerSettings

__all__ = ["CrawlClient", "cancel", "job", "request_crawl"]

MAX_SEEDS = 10_000


class CrawlClient:
    """Starts, cancels and reads crawl jobs through Redis."""

    def __init__(self, settings: WorkerSettings | None = None) -> None:
        self.settings = settings or WorkerSettings()
        self.store = JobStore(redis_client(self.settings))

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
    ) -> str:
        """Enqueue a crawl job and return its id.

        ``up``: follow declared bases to the roots; ``down``: levels of children to list;
        ``deployers``: list the Spaces and inference providers of each seed; ``endpoint``: the
        hub (default ``HF_ENDPOINT`` or huggingface.co); ``force``: re-read models whose sha
        has not changed. Raises :class:`~workers.errors.InvalidCrawlRequest`.
        """
        wanted = list(dict.fromkeys(s.strip() for s in seeds if s and s.strip()))
        if not wanted:
            raise InvalidCrawlRequest("a crawl needs at least one seed model id")
        if len(wanted) > MAX_SEEDS:
            raise InvalidCrawlRequest(f"at most {MAX_SEEDS} seeds per crawl, got {len(wanted)}")
        invalid = [(seed, reason) for seed in wanted if (reason := check_repo_id(seed)) is not None]
        if invalid:
            seed, reason = invalid[0]
            raise InvalidCrawlRequest(f"{seed!r} is not a model id: {reason}")
        if isinstance(down, bool) or not 0 <= down <= self.settings.max_down:
            raise InvalidCrawlRequest(f"down must be from 0 to {self.settings.max_down}, got {down!r}")
        width = self.settings.default_breadth if breadth is None else breadth
        if not 1 <= width <= 100_000:
            raise InvalidCrawlRequest(f"breadth must be from 1 to 100000, got {width!r}")
        hub = (endpoint or CrawlerSettings().endpoint).rstrip("/")
        if not hub.startswith(("http://", "https://")):
            raise InvalidCrawlRequest(f"endpoint must be an http(s) URL, got {hub!r}")
        options = JobOptions(
            seeds=tuple(wanted), endpoint=hub, up=up, down=down, deployers=deployers, breadth=width, force=force
        )
        return pipeline.start_job(self.store, options, self.settings)

    def cancel(self, job_id: str) -> bool:
        """Stop a running job (its queued units return without work); False if it is not running."""
        return self.store.cancel(job_id)

    def job(self, job_id: str) -> JobSnapshot | None:
        """The job's state, live counters and report; None if no such job is known."""
        return self.store.snapshot(job_id)


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
