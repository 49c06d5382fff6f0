"""Errors of the crawler package, translated at the boundary from huggingface_hub / httpx2.

Nothing outside :mod:`crawler.source` ever sees a ``huggingface_hub`` or ``httpx2``
exception: :func:`translate_hub_error` turns each one into a class of this tree
(always ``raise … from exc``, so the original stays in ``__cause__``).

Hierarchy::

    CrawlerError
    ├── HubError                         something the Hub (or the way to it) answered
    │   ├── RetryableHubError            try again later; the fact is unknown, not absent
    │   │   ├── RateLimitedError         HTTP 429; ``retry_after`` seconds from ``Retry-After``
    │   │   ├── ServerError              HTTP 5xx (and 408)
    │   │   └── HubConnectionError       timeouts, refused / reset connections, protocol errors
    │   └── PermanentHubError            asking again gives the same answer
    │       ├── RepoNotFoundError        HTTP 404 (or 401 "RepoNotFound"): deleted, never existed or private
    │       ├── RepoGatedError           HTTP 401/403 for a gated repo we may not read
    │       ├── FileNotFoundOnHubError   the repo exists but the file does not
    │       ├── InvalidRepoIdError       not a valid Hub repo id; no request was made
    │       ├── BadHubRequestError       HTTP 400 (e.g. an ``expand`` value the Hub refuses)
    │       ├── MalformedResponseError   the Hub answered, but the body could not be parsed
    │       ├── FileTooLargeError        a file is bigger than the configured cap; not fetched
    │       └── OtherHubHTTPError        any other 4xx
    └── RetriesExhaustedError            a retryable error persisted past the retry policy's limit

A retryable error is a different class from a permanent one, so callers (and Celery
tasks) can retry exactly the former: ``except RetryableHubError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2
from huggingface_hub import errors as hf_errors

__all__ = [
    "BadHubRequestError",
    "CrawlerError",
    "FileNotFoundOnHubError",
    "FileTooLargeError",
    "HubConnectionError",
    "HubError",
    "InvalidRepoIdError",
    "MalformedResponseError",
    "OtherHubHTTPError",
    "PermanentHubError",
    "RateLimitedError",
    "RepoGatedError",
    "RepoNotFoundError",
    "RetriesExhaustedError",
    "RetryableHubError",
    "ServerError",
    "parse_retry_after",
    "translate_hub_error",
]


class CrawlerError(Exception):
    """Base of every error raised by the crawler package."""


class HubError(CrawlerError):
    """An answer (or the absence of one) from a hub.

    ``repo_id`` is the repo the request was about, when known; ``status`` the HTTP
    status code, when there was a response.
    """

    def __init__(self, message: str, *, repo_id: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.repo_id = repo_id
        self.status = status


class RetryableHubError(HubError):
    """Transient: the same request may succeed later."""


class RateLimitedError(RetryableHubError):
    """HTTP 429. ``retry_after`` is the number of seconds the Hub asked us to wait, if it said."""

    def __init__(
        self,
        message: str,
        *,
        repo_id: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, repo_id=repo_id, status=status)
        self.retry_after = retry_after


class ServerError(RetryableHubError):
    """HTTP 5xx (or 408 request timeout answered by the server)."""


class HubConnectionError(RetryableHubError):
    """No usable answer: connect/read timeout, connection refused or reset, protocol error."""


class PermanentHubError(HubError):
    """Asking again will give the same answer; record it as a fact."""


class RepoNotFoundError(PermanentHubError):
    """The repo does not exist (deleted, renamed without redirect, never existed, or private)."""


class RepoGatedError(PermanentHubError):
    """The repo exists but is gated and our token (if any) may not read it."""


class FileNotFoundOnHubError(PermanentHubError):
    """The repo exists but the requested file (or revision) does not."""


class InvalidRepoIdError(PermanentHubError):
    """The id is not a valid Hub repo id; no request was made."""


class BadHubRequestError(PermanentHubError):
    """HTTP 400: the Hub refused the request itself (e.g. an unknown ``expand`` value)."""


class MalformedResponseError(PermanentHubError):
    """The Hub answered 2xx but the body did not parse into the shape the client expects."""


class FileTooLargeError(PermanentHubError):
    """A file is larger than the configured cap and was not fetched."""

    def __init__(self, message: str, *, repo_id: str | None = None, size: int | None = None, cap: int = 0) -> None:
        super().__init__(message, repo_id=repo_id)
        self.size = size
        self.cap = cap


class OtherHubHTTPError(PermanentHubError):
    """Any other HTTP 4xx answer."""


class RetriesExhaustedError(CrawlerError):
    """A retryable error persisted through every attempt the retry policy allows.

    ``last`` is the final retryable error; ``attempts`` how many requests were made.
    """

    def __init__(self, last: RetryableHubError, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempts: {last.message}")
        self.last = last
        self.attempts = attempts


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (delay-seconds or HTTP-date).

    Falls back to the Hub's ``RateLimit: "api";r=0;t=<seconds>`` header. Returns None when
    neither says anything usable. Never negative.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    raw = lowered.get("retry-after")
    if raw is not None:
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            current = now if now is not None else datetime.now(UTC)
            return max(0.0, (when - current).total_seconds())
    ratelimit = lowered.get("ratelimit")
    if ratelimit is not None:
        for part in ratelimit.split(";"):
            key, _, value = part.strip().partition("=")
            if key.strip() == "t":
                try:
                    return max(0.0, float(value.strip()))
                except ValueError:
                    return None
    return None


def _response_of(exc: BaseException) -> httpx2.Response | None:
    response = getattr(exc, "response", None)
    return response if isinstance(response, httpx2.Response) else None


def translate_hub_error(exc: BaseException, *, repo_id: str | None = None) -> HubError:
    """Map a huggingface_hub / httpx2 exception onto this package's tree (the caller raises it ``from exc``).

    Status codes decide, not the client's class names, because the client files a 401 for
    a missing repo and a 401 for a gated one under related classes: ``X-Error-Code:
    GatedRepo`` means gated; ``RepoNotFound`` or 404 means not found; another 401/403 on a
    repo is treated as gated (the repo answered, but not to us).
    """
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, hf_errors.LocalEntryNotFoundError):
        cause = exc.__cause__
        if cause is not None and cause is not exc:
            return translate_hub_error(cause, repo_id=repo_id)
        return HubConnectionError(f"file could not be located: {exc}", repo_id=repo_id)
    if isinstance(exc, hf_errors.FileMetadataError):
        return MalformedResponseError(f"file metadata missing: {exc}", repo_id=repo_id)
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return OtherHubHTTPError(f"huggingface_hub offline mode is on (HF_HUB_OFFLINE): {exc}", repo_id=repo_id)
    if isinstance(exc, hf_errors.HFValidationError):
        return InvalidRepoIdError(str(exc), repo_id=repo_id)
    if isinstance(exc, httpx2.TimeoutException):
        return HubConnectionError(f"timeout: {exc}", repo_id=repo_id)
    if isinstance(exc, (httpx2.NetworkError, httpx2.RemoteProtocolError, httpx2.ProxyError)):
        return HubConnectionError(f"connection error: {exc}", repo_id=repo_id)
    if isinstance(exc, httpx2.TooManyRedirects):
        return OtherHubHTTPError(f"too many redirects: {exc}", repo_id=repo_id)
    response = _response_of(exc)
    if response is None:
        if isinstance(exc, httpx2.TransportError):
            return HubConnectionError(f"transport error: {exc}", repo_id=repo_id)
        return MalformedResponseError(f"{type(exc).__name__}: {exc}", repo_id=repo_id)
    status = response.status_code
    error_code = response.headers.get("X-Error-Code")
    message = f"HTTP {status} for {response.request.method} {response.url}"
    if status == 429:
        return RateLimitedError(message, repo_id=repo_id, status=status, retry_after=parse_retry_after(response.headers))
    if status >= 500 or status == 408:
        return ServerError(message, repo_id=repo_id, status=status)
    if isinstance(exc, hf_errors.DisabledRepoError):
        return RepoNotFoundError(f"{message}: access to this repo is disabled", repo_id=repo_id, status=status)
    if error_code in ("EntryNotFound", "RevisionNotFound") or isinstance(
        exc, (hf_errors.RemoteEntryNotFoundError, hf_errors.RevisionNotFoundError)
    ):
        return FileNotFoundOnHubError(message, repo_id=repo_id, status=status)
    if error_code == "GatedRepo" or isinstance(exc, hf_errors.GatedRepoError):
        return RepoGatedError(message, repo_id=repo_id, status=status)
    if status == 404 or error_code == "RepoNotFound":
        return RepoNotFoundError(message, repo_id=repo_id, status=status)
    if status == 401 and response.headers.get("X-Error-Message") == "Invalid credentials in Authorization header":
        return OtherHubHTTPError(f"{message}: the token was refused", repo_id=repo_id, status=status)
    if status in (401, 403):
        return RepoGatedError(message, repo_id=repo_id, status=status)
    if status == 400:
        return BadHubRequestError(message, repo_id=repo_id, status=status)
    return OtherHubHTTPError(message, repo_id=repo_id, status=status)
