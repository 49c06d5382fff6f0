"""The one place that calls huggingface_hub: metering, rate limiting, retries, error translation.

Every call goes through ``HfApi(endpoint=…, token=…)``. Around each call:

- a :class:`~crawler.ratelimit.RequestMeter` counts every HTTP request it makes and asks
  the rate limiter before each one;
- any huggingface_hub / httpx2 exception is translated into :mod:`crawler.errors`
  (``raise … from exc``); a body the client cannot parse becomes ``MalformedResponseError``;
- retryable errors are retried by :class:`~crawler.retry.RetryPolicy`.

Listings (``list_models``, ``list_spaces``) are generators that follow the Hub's ``Link``
pagination lazily (inside huggingface_hub, which has its own short backoff per page). If
a page still fails, the whole listing is restarted under our retry policy and items
already yielded are skipped, so a consumer never sees a model twice.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from pathlib import Path
from typing import Any, TypeVar

import httpx2
from huggingface_hub import HfApi, ModelInfo, SpaceInfo, constants, get_hf_file_metadata, get_session, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, OfflineModeIsEnabled, RemoteEntryNotFoundError
from huggingface_hub.file_download import DryRunFileInfo
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, parse_datetime

from crawler.errors import (
    CrawlerError,
    FileTooLargeError,
    MalformedResponseError,
    RetriesExhaustedError,
    RetryableHubError,
    translate_hub_error,
)
from crawler.ratelimit import PausableRateLimiter, RateLimiter, RequestMeter, metered
from crawler.retry import RetryPolicy
from crawler.settings import CrawlerSettings

__all__ = ["CommitList", "FileStamp", "FileText", "HubClient", "ModelsPage", "RepoCommit"]

T = TypeVar("T")
_END = object()
_HUB_EXCEPTIONS: tuple[type[BaseException], ...] = (
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    httpx2.HTTPError,
    OSError,
)
_PARSE_EXCEPTIONS: tuple[type[BaseException], ...] = (TypeError, ValueError, KeyError, AttributeError)


@dataclass(frozen=True, slots=True)
class FileText:
    """A small repo file read as text (at most the cap; ``truncated`` when it was longer)."""

    text: str
    size: int | None
    truncated: bool


@dataclass(frozen=True, slots=True)
class ModelsPage:
    """One page of ``/api/models``: its items (raw JSON objects, as the Hub sent them), the next page's URL
    (None on the last page) and, when the body could not be read, why (the next URL still comes from the
    ``Link`` header, so a listing can go on past a broken page)."""

    url: str
    items: list[Any]
    next_url: str | None
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class RepoCommit:
    """One commit of a repo's main branch: its sha and date (what ``HfApi.list_repo_commits`` gives)."""

    sha: str
    date: datetime


@dataclass(frozen=True, slots=True)
class CommitList:
    """The newest commits of a repo (newest first), the listing's URL, and whether more were left unread."""

    url: str
    commits: tuple[RepoCommit, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What a ``HEAD`` on a file at a revision tells: its etag (git blob id for non-LFS files) and size."""

    etag: str | None
    size: int | None


class HubClient:
    """A thin, metered, retrying, error-translating wrapper around one ``HfApi``."""

    def __init__(
        self,
        settings: CrawlerSettings,
        *,
        api: HfApi | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
        rand: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = settings.endpoint.rstrip("/")
        # huggingface_hub would otherwise fetch an "agent harness" registry from the live Hub (not from
        # `endpoint`) to build its User-Agent: a side request an offline or replayed crawl must not make.
        constants.HF_HUB_DISABLE_TELEMETRY = True
        token: str | bool = settings.token.get_secret_value() if settings.token is not None else False
        self.api = (
            api
            if api is not None
            else HfApi(endpoint=self.endpoint, token=token or False, library_name="lineage-crawler", library_version="0.1")
        )
        self.meter = RequestMeter(self.endpoint, rate_limiter)
        policy_kwargs: dict[str, Any] = {}
        if sleep is not None:
            policy_kwargs["sleep"] = sleep
        if rand is not None:
            policy_kwargs["rand"] = rand
        if isinstance(rate_limiter, PausableRateLimiter):
            limiter = rate_limiter
            policy_kwargs["on_rate_limited"] = lambda seconds: limiter.pause(self.endpoint, seconds)
        self.retry = RetryPolicy(
            max_retries=settings.max_retries,
            backoff_base_s=settings.backoff_base_s,
            backoff_max_s=settings.backoff_max_s,
            max_retry_after_s=settings.max_retry_after_s,
            **policy_kwargs,
        )
        self._tmp: Path | None = None
        self._finalizer: weakref.finalize[..., Any] | None = None

    @property
    def requests(self) -> int:
        """HTTP requests sent to the hub by this client so far."""
        return self.meter.count

    def close(self) -> None:
        """Remove the temporary download cache, if one was made (also done when the client is collected)."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
            self._tmp = None

    # -- plumbing -------------------------------------------------------------------------

    def _once(self, fn: Callable[[], T], repo_id: str | None) -> T:
        session = get_session()
        if session.timeout.read is None:
            session.timeout = httpx2.Timeout(self.settings.timeout_s)
        with metered(self.meter):
            try:
                return fn()
            except CrawlerError:
                raise
            except _HUB_EXCEPTIONS as exc:
                raise translate_hub_error(exc, repo_id=repo_id) from exc
            except _PARSE_EXCEPTIONS as exc:
                raise MalformedResponseError(
                    f"unparseable hub answer: {type(exc).__name__}: {exc}", repo_id=repo_id
                ) from exc

    def _call(self, what: str, repo_id: str | None, fn: Callable[[], T]) -> T:
        return self.retry.call(lambda: self._once(fn, repo_id), what=what)

    def _listing(self, what: str, make: Callable[[], Iterator[Any]], key: Callable[[Any], str]) -> Iterator[Any]:
        yielded: set[str] = set()
        attempt = 0
        while True:
            iterator = make()
            try:
                while True:
                    item = self._once(lambda: next(iterator, _END), None)
                    if item is _END:
                        return
                    item_key = key(item)
                    if item_key in yielded:
                        continue
                    yielded.add(item_key)
                    yield item
            except RetryableHubError as error:
                if attempt >= self.retry.max_retries:
                    raise RetriesExhaustedError(error, attempt + 1) from error
                self.retry.wait(error, attempt)
                attempt += 1

    # -- calls ----------------------------------------------------------------------------

    def model_info(self, repo_id: str, *, files_metadata: bool = False, expand: list[str] | None = None) -> ModelInfo:
        """``HfApi.model_info`` (one request, plus one per redirect followed)."""
        timeout = self.settings.timeout_s
        if expand:
            return self._call(
                "model_info",
                repo_id,
                lambda: self.api.model_info(repo_id, expand=expand, timeout=timeout),  # type: ignore[arg-type]
            )
        return self._call(
            "model_info",
            repo_id,
            lambda: self.api.model_info(repo_id, files_metadata=files_metadata, timeout=timeout),
        )

    def iter_models(self, *, what: str = "list_models", **kwargs: Any) -> Iterator[ModelInfo]:
        """``HfApi.list_models(**kwargs)``, lazily, de-duplicated by id across restarts."""
        return self._listing(what, lambda: iter(self.api.list_models(**kwargs)), lambda info: str(info.id))

    def models_listing_url(self, params: list[tuple[str, str]]) -> str:
        """The URL of the first page of ``/api/models`` with these query parameters (as ``list_models`` sends them)."""
        return str(httpx2.URL(f"{self.endpoint}/api/models", params=params))

    def models_page(self, url: str) -> ModelsPage:
        """One page of a model listing by its URL (the first page's, or a ``Link: rel="next"`` one), one request.

        ``HfApi.list_models`` walks the same pages inside a generator, which keeps the cursor to itself;
        a sweep has to checkpoint it, so it asks for pages one at a time through huggingface_hub's own
        session, headers and status handling. Status errors raise (and are retried) as every call does.
        """
        headers = build_hf_headers(
            token=self.api.token, library_name="lineage-crawler", library_version="0.1"
        )

        def fetch() -> httpx2.Response:
            response = get_session().get(url, headers=headers, timeout=self.settings.timeout_s)
            hf_raise_for_status(response)
            return response

        response = self._call("list_models_page", None, fetch)
        next_url = response.links.get("next", {}).get("url")
        try:
            body = response.json()
        except ValueError as exc:
            return ModelsPage(url, [], next_url, f"the page body is not JSON: {exc}")
        if not isinstance(body, list):
            return ModelsPage(url, [], next_url, f"the page body is a {type(body).__name__}, not a list")
        return ModelsPage(url, body, next_url)

    def list_commits(self, repo_id: str, *, limit: int) -> CommitList:
        """The newest ``limit`` commits of the repo's main branch, newest first.

        The endpoint ``HfApi.list_repo_commits`` pages through (``/api/models/{id}/commits/main``,
        ``Link`` pagination, huggingface_hub's session, headers and status handling), read one
        page at a time so that ``limit`` bounds the pages asked for: one request per page, each
        retried on its own. ``truncated`` when the history goes on past ``limit``.
        """
        url = f"{self.endpoint}/api/models/{quote(repo_id, safe='/')}/commits/main"
        headers = build_hf_headers(token=self.api.token, library_name="lineage-crawler", library_version="0.1")
        commits: list[RepoCommit] = []
        next_url: str | None = url
        while next_url is not None and len(commits) < limit:
            page_url = next_url

            def fetch(page_url: str = page_url) -> tuple[list[RepoCommit], str | None]:
                response = get_session().get(page_url, headers=headers, timeout=self.settings.timeout_s)
                hf_raise_for_status(response)
                items = response.json()
                if not isinstance(items, list):
                    raise ValueError(f"the commit listing is a {type(items).__name__}, not a list")
                page = [RepoCommit(str(item["id"]), parse_datetime(str(item["date"]))) for item in items]
                return page, response.links.get("next", {}).get("url")

            page, next_url = self._call("list_repo_commits", repo_id, fetch)
            commits.extend(page)
        return CommitList(url, tuple(commits[:limit]), next_url is not None or len(commits) > limit)

    def file_stamp(self, repo_id: str, filename: str, *, revision: str) -> FileStamp | None:
        """``HEAD`` one file at a revision (``get_hf_file_metadata``): one request, no body.

        None when the revision exists but holds no such file (``EntryNotFound``); an unknown
        revision, a missing or gated repo and every other failure raise as any call does.
        """
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)

        def head() -> FileStamp | None:
            try:
                meta = get_hf_file_metadata(
                    url, token=self.api.token, timeout=self.settings.timeout_s, endpoint=self.endpoint
                )
            except RemoteEntryNotFoundError:
                return None
            return FileStamp(meta.etag, meta.size)

        return self._call("file_metadata", repo_id, head)

    def read_text_at(self, repo_id: str, filename: str, *, revision: str, cap: int) -> FileText:
        """``GET`` one small text file at a revision (the resolve URL), at most ``cap`` bytes kept: one request.

        Unlike :meth:`read_small_file` nothing is cached on disk and no ``HEAD`` is sent first
        (the caller has the file's stamp already).
        """
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)
        headers = build_hf_headers(token=self.api.token, library_name="lineage-crawler", library_version="0.1")

        def fetch() -> bytes:
            response = get_session().get(url, headers=headers, timeout=self.settings.timeout_s, follow_redirects=True)
            hf_raise_for_status(response)
            return response.content

        data = self._call("download", repo_id, fetch)
        truncated = len(data) > cap
        return FileText(data[:cap].decode("utf-8", errors="replace"), len(data), truncated)

    def iter_spaces(self, **kwargs: Any) -> Iterator[SpaceInfo]:
        """``HfApi.list_spaces(**kwargs)``, lazily, de-duplicated by id across restarts."""
        return self._listing("list_spaces", lambda: iter(self.api.list_spaces(**kwargs)), lambda info: str(info.id))

    def _cache_dir(self) -> Path:
        if self.settings.cache_dir is not None:
            return self.settings.cache_dir
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="lineage-crawler-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._tmp), True)
        return self._tmp

    def read_small_file(
        self,
        repo_id: str,
        filename: str,
        *,
        revision: str | None,
        size_hint: int | None,
        cap: int,
        truncate: bool = False,
    ) -> FileText:
        """Download one small file and read at most ``cap`` bytes of it.

        Files known (or found by a HEAD request) to be larger than ``cap`` are not
        downloaded unless ``truncate``; then only the first ``cap`` bytes are read.
        Raises FileTooLargeError, or any other CrawlerError of the download.
        """
        size = size_hint
        if size is None:
            dry = self._call(
                "file_metadata",
                repo_id,
                lambda: self.api.hf_hub_download(
                    repo_id, filename, revision=revision, cache_dir=self._cache_dir(), dry_run=True
                ),
            )
            size = dry.file_size if isinstance(dry, DryRunFileInfo) else None
        if size is not None and size > cap and not truncate:
            raise FileTooLargeError(
                f"{filename} is {size} bytes, over the {cap}-byte cap", repo_id=repo_id, size=size, cap=cap
            )
        path = self._call(
            "download",
            repo_id,
            lambda: self.api.hf_hub_download(repo_id, filename, revision=revision, cache_dir=self._cache_dir()),
        )
        with open(str(path), "rb") as handle:
            data = handle.read(cap + 1)
        truncated = len(data) > cap
        if truncated and not truncate:
            raise FileTooLargeError(f"{filename} is over the {cap}-byte cap", repo_id=repo_id, size=size, cap=cap)
        return FileText(data[:cap].decode("utf-8", errors="replace"), size, truncated)
