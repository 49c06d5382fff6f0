"""Record a snapshot from a live hub (or a replay hub) through ``huggingface_hub.HfApi`` only.

From each seed the recorder follows declared base models up to the roots (``cardData.base_model``
and ``base_model:<relation>:<id>`` tags) and, with ``down > 0``, lists children per relation
(``list_models(filter="base_model:<relation>:<id>")``) to that depth. For every model it writes
the model_info payload with file metadata and provider mappings, small files (README.md,
adapter_config.json, mergekit_config.yml, config.json), commits, older revisions if asked, and the
Spaces using it. Renamed repos (the client follows the 307) become aliases; 404s become deleted ids.

Everything is streamed to a :class:`SnapshotWriter`; only ids and Spaces stay in memory.
The token (``HF_TOKEN``) is a ``SecretStr`` passed to huggingface_hub and never logged.
"""

from __future__ import annotations

import tempfile
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import structlog
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import ModelInfo
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubreplay.snapshot.errors import RecordPermanentError, RecordRetryableError
from hubreplay.snapshot.format import Manifest, hub_datetime
from hubreplay.snapshot.hubshape import RELATIONS
from hubreplay.snapshot.serialize import commit_payload, merge_expanded, model_payload, space_payload
from hubreplay.snapshot.writer import SnapshotWriter

__all__ = ["RecordReport", "RecordSettings", "Recorder", "record_snapshot"]

log = structlog.get_logger(__name__)

T = TypeVar("T")
_FILES: Final = ("README.md", "adapter_config.json", "mergekit_config.yml", "config.json")
_RETRYABLE: Final = frozenset({408, 429, 500, 502, 503, 504})


class RecordSettings(BaseSettings):
    """How ``lineage hub record`` talks to the hub and how much it records."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_RECORD_", extra="forbid", populate_by_name=True)

    endpoint: str = Field(
        default="https://huggingface.co",
        validation_alias=AliasChoices("endpoint", "HF_ENDPOINT"),
        description="Hub to record from (the live Hub, or a replay hub URL).",
    )
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("token", "HF_TOKEN"),
        description="Hub token for gated repos; passed to huggingface_hub, never logged.",
    )
    down: int = Field(default=0, ge=0, le=10, description="Levels of children to record below each seed.")
    up: bool = Field(default=True, description="Follow declared base models up to the roots.")
    max_children: int = Field(default=200, ge=0, description="Children listed per model and relation.")
    max_models: int = Field(default=5000, ge=1, description="Stop after recording this many models.")
    max_spaces: int = Field(default=50, ge=0, description="Spaces recorded per model (0 = none).")
    max_commits: int = Field(default=100, ge=0, description="Commits recorded per model (0 = none).")
    history: int = Field(default=0, ge=0, description="Older revisions recorded per model (model_info + README).")
    max_file_bytes: int = Field(default=1_000_000, ge=0, description="Larger files are not downloaded.")
    files: tuple[str, ...] = Field(default=_FILES, description="Small files recorded when the repo has them.")
    retries: int = Field(default=4, ge=0, le=20, description="Retries of one call on 429/5xx before giving up.")
    backoff_s: float = Field(
        default=1.0, ge=0, description="First wait between retries (doubles; 429 uses Retry-After)."
    )


@dataclass
class RecordReport:
    """What a recording produced (counters, and a bounded sample of problems)."""

    models: int = 0
    files: int = 0
    commits: int = 0
    revisions: int = 0
    spaces: int = 0
    aliases: int = 0
    deleted: int = 0
    gated_files: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 100:
            self.problems.append(text)


def _base_models(payload: dict[str, Any]) -> list[str]:
    parents: list[str] = []
    card = payload.get("cardData")
    declared = card.get("base_model") if isinstance(card, dict) else None
    if isinstance(declared, str):
        parents.append(declared)
    elif isinstance(declared, list):
        parents.extend(p for p in declared if isinstance(p, str))
    for tag in payload.get("tags") or ():
        parts = tag.split(":", 2) if isinstance(tag, str) else []
        if len(parts) == 3 and parts[0] == "base_model":
            parents.append(parts[2])
    return list(dict.fromkeys(p.strip() for p in parents if p.strip()))


class Recorder:
    """Walks the hub from seeds and streams what it sees into a :class:`SnapshotWriter`."""

    def __init__(self, writer: SnapshotWriter, settings: RecordSettings, cache_dir: Path) -> None:
        self.writer = writer
        self.settings = settings
        self._token: str | bool = settings.token.get_secret_value() if settings.token else False
        self.api = HfApi(endpoint=settings.endpoint, token=self._token)
        self.cache_dir = cache_dir
        self.report = RecordReport()
        self._seen: set[str] = set()
        self._spaces: dict[str, dict[str, Any]] = {}

    # -- calls -----------------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        delay = self.settings.backoff_s
        for attempt in range(self.settings.retries + 1):
            try:
                return fn(*args, **kwargs)
            except HfHubHTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status not in _RETRYABLE or attempt == self.settings.retries:
                    if status in _RETRYABLE:
                        raise RecordRetryableError(f"{what}: HTTP {status} after {attempt + 1} attempts") from exc
                    raise
                retry_after = exc.response.headers.get("Retry-After") if exc.response is not None else None
                wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
                log.warning("record_retry", call=what, status=status, wait_s=wait)
                time.sleep(wait)
                delay *= 2
        raise RecordPermanentError(f"{what}: no attempt made")  # pragma: no cover - loop always returns/raises

    # -- walk ------------------------------------------------------------------------------------

    def record(self, seeds: Iterable[str]) -> RecordReport:
        queue: deque[tuple[str, int]] = deque((seed, 0) for seed in seeds)
        while queue and self.report.models < self.settings.max_models:
            repo_id, depth = queue.popleft()
            if repo_id in self._seen:
                continue
            self._seen.add(repo_id)
            payload = self._record_model(repo_id)
            if payload is None:
                continue
            if self.settings.up:
                queue.extend((parent, depth) for parent in _base_models(payload) if parent not in self._seen)
            if depth < self.settings.down:
                queue.extend((child, depth + 1) for child in self._children(payload["id"]))
        for space in self._spaces.values():
            self.writer.add_space(space)
        self.report.spaces = len(self._spaces)
        return self.report

    def _record_model(self, repo_id: str) -> dict[str, Any] | None:
        bound = log.bind(model_id=repo_id)
        try:
            info: ModelInfo = self._call(repo_id, self.api.model_info, repo_id, files_metadata=True)
        except GatedRepoError as exc:
            self.report.problem(f"{repo_id}: gated metadata ({exc.response.status_code if exc.response else '?'})")
            return None
        except RepositoryNotFoundError:
            self.writer.add_deleted(repo_id, f"404 from {self.settings.endpoint} at {hub_datetime(datetime.now(UTC))}")
            self.report.deleted += 1
            return None
        if info.id != repo_id:
            self.writer.add_alias(repo_id, info.id, f"{self.settings.endpoint} redirected {repo_id} to {info.id}")
            self.report.aliases += 1
            if info.id in self._seen or self.writer.has_model(info.id):
                return None
            self._seen.add(info.id)
        payload = model_payload(info)
        extra = self._call(info.id, self.api.model_info, info.id, expand=["inferenceProviderMapping"])
        merge_expanded(payload, model_payload(extra))
        recorded_at = hub_datetime(datetime.now(UTC))
        self.writer.add_model(
            payload, provenance={"sources": [{"recorded_from": self.settings.endpoint, "recorded_at": recorded_at}]}
        )
        self.report.models += 1
        bound.info("recorded_model", files=len(payload.get("siblings") or ()))
        self._record_files(payload, None)
        commits = self._record_commits(payload)
        self._record_history(payload, commits)
        self._record_spaces(payload["id"])
        return payload

    def _record_files(self, payload: dict[str, Any], revision: str | None) -> None:
        sizes = {s["rfilename"]: s.get("size") for s in payload.get("siblings") or () if isinstance(s, dict)}
        for name in self.settings.files:
            if name not in sizes or (sizes[name] or 0) > self.settings.max_file_bytes:
                continue
            try:
                path = self._call(
                    f"{payload['id']}/{name}",
                    hf_hub_download,
                    payload["id"],
                    name,
                    revision=revision or payload.get("sha"),
                    endpoint=self.settings.endpoint,
                    token=self._token,
                    cache_dir=self.cache_dir,
                )
            except GatedRepoError:
                self.report.gated_files += 1
                return
            except (RemoteEntryNotFoundError, RevisionNotFoundError) as exc:
                self.report.problem(f"{payload['id']}/{name}: {type(exc).__name__}")
                continue
            content = Path(path).read_bytes()
            try:
                text: str | bytes = content.decode("utf-8")
            except UnicodeDecodeError:
                text = content
            self.writer.add_file(payload["id"], name, text, revision=revision)
            self.report.files += 1

    def _record_commits(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.settings.max_commits:
            return []
        try:
            commits = self._call(f"{payload['id']} commits", self.api.list_repo_commits, payload["id"])
        except RepositoryNotFoundError as exc:
            self.report.problem(f"{payload['id']} commits: {type(exc).__name__}")
            return []
        items = [commit_payload(c) for c in commits[: self.settings.max_commits]]
        if items:
            self.writer.add_commits(payload["id"], items)
            self.report.commits += len(items)
        return items

    def _record_history(self, payload: dict[str, Any], commits: Sequence[dict[str, Any]]) -> None:
        for commit in list(commits)[1 : 1 + self.settings.history]:
            sha = commit["id"]
            try:
                info = self._call(
                    f"{payload['id']}@{sha}", self.api.model_info, payload["id"], revision=sha, files_metadata=True
                )
            except (RevisionNotFoundError, RepositoryNotFoundError) as exc:
                self.report.problem(f"{payload['id']}@{sha}: {type(exc).__name__}")
                continue
            old = model_payload(info)
            self.writer.add_revision(payload["id"], sha, old)
            self.report.revisions += 1
            self._record_files(old, sha)

    def _record_spaces(self, model_id: str) -> None:
        if not self.settings.max_spaces:
            return
        spaces = self._call(
            f"{model_id} spaces", lambda: list(self.api.list_spaces(models=model_id, limit=self.settings.max_spaces))
        )
        for space in spaces:
            known = self._spaces.get(space.id)
            if known is None:
                self._spaces[space.id] = space_payload(space, models=[model_id])
            else:
                known["models"] = sorted({*known.get("models", ()), model_id})

    def _children(self, repo_id: str) -> list[str]:
        if not self.settings.max_children:
            return []
        children: list[str] = []
        for relation in RELATIONS:
            listed = self._call(
                f"{repo_id} {relation} children",
                lambda rel=relation: [
                    m.id
                    for m in self.api.list_models(
                        filter=f"base_model:{rel}:{repo_id}", limit=self.settings.max_children, expand=["sha"]
                    )
                ],
            )
            children.extend(listed)
        return children


def record_snapshot(
    seeds: Sequence[str], out: Path, settings: RecordSettings | None = None, *, name: str | None = None
) -> tuple[Manifest, RecordReport]:
    """Record ``seeds`` from ``settings.endpoint`` into the snapshot folder ``out``."""
    if not seeds:
        raise RecordPermanentError("no seed model ids given")
    settings = settings or RecordSettings()
    provenance = {
        "kind": "recorded",
        "recorded_from": settings.endpoint,
        "recorded_with": "huggingface_hub.HfApi (lineage hub record)",
        "seeds": list(seeds),
        "down": settings.down,
        "up": settings.up,
    }
    writer = SnapshotWriter(
        out, name=name or f"recorded-{'-'.join(s.split('/')[-1] for s in seeds[:3])}", provenance=provenance
    )
    with writer, tempfile.TemporaryDirectory(prefix="lineage-record-") as cache:
        recorder = Recorder(writer, settings, Path(cache))
        report = recorder.record(seeds)
        writer.highlights = {"seeds": list(seeds)}
    return Manifest.read(out), report
