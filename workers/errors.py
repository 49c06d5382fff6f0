"""Errors of the workers package.

Tasks retry (with exponential backoff and jitter) exactly the retryable branch, plus the
retryable errors of the packages they call (``graph.errors.GraphRetryableError``, Redis
connection errors); a permanent error is recorded on the job as a problem and not retried.

Hierarchy::

    WorkersError
    ├── WorkersRetryableError        the same unit of work may succeed later
    │   ├── HubUnavailableError      the hub kept failing transiently (429/5xx/timeouts) past the crawler's retries
    │   ├── CoordinationUnavailable  Redis (broker, job store, rate limit) could not be reached
    │   └── GraphBusyError           Neo4j gave no connection in time (overloaded); the graph package files this as permanent
    └── WorkersPermanentError        repeating the call unchanged cannot help
        ├── InvalidCrawlRequest      a crawl was requested with bad seeds or options
        ├── PayloadError             a task payload (observations JSON, unit spec) could not be decoded
        ├── JobNotFound              no job with this id is known (expired, or Redis lost it)
        └── RecomputeIncomplete      a full recompute sent to the workers failed, found no worker, or ran out of time
"""

from __future__ import annotations

__all__ = [
    "CoordinationUnavailable",
    "GraphBusyError",
    "HubUnavailableError",
    "InvalidCrawlRequest",
    "JobNotFound",
    "PayloadError",
    "RecomputeIncomplete",
    "WorkersError",
    "WorkersPermanentError",
    "WorkersRetryableError",
]


class WorkersError(Exception):
    """Base of every error raised by the workers package."""


class WorkersRetryableError(WorkersError):
    """Transient: the unit of work is retried later with backoff."""


class HubUnavailableError(WorkersRetryableError):
    """The hub answered 429/5xx or timed out on every attempt the crawler made for this unit."""


class CoordinationUnavailable(WorkersRetryableError):
    """Redis (broker, job store or shared rate limit) could not be reached."""


class GraphBusyError(WorkersRetryableError):
    """The Neo4j driver could not get a connection from its pool in time: the server is overloaded, not broken."""


class WorkersPermanentError(WorkersError):
    """The call cannot succeed by being repeated unchanged."""


class InvalidCrawlRequest(WorkersPermanentError, ValueError):
    """A crawl request named no seeds, an invalid id, or an option out of range."""


class PayloadError(WorkersPermanentError, ValueError):
    """A payload passed between tasks could not be decoded."""


class JobNotFound(WorkersPermanentError, LookupError):
    """No crawl job with this id is known."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no crawl job {job_id!r}")
        self.job_id = job_id


class RecomputeIncomplete(WorkersPermanentError):
    """A full recompute sent to the propagation workers did not finish: a page failed, no worker
    consumes the propagation queue, or the wait ran out (the pages stored so far are kept)."""
