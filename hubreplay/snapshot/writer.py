"""Write a snapshot folder part by part, streaming (nothing is held in memory but ids)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from hubreplay.snapshot.errors import SnapshotFormatError
from hubreplay.snapshot.format import (
    ALIASES,
    COMMITS,
    DELETED,
    FILES,
    MANIFEST,
    MODELS,
    PROVENANCE,
    REVISIONS,
    SPACES,
    JsonlWriter,
    Manifest,
    hub_datetime,
)

__all__ = ["SnapshotWriter"]


class SnapshotWriter:
    """Create a snapshot folder; use as a context manager (the manifest is written on close).

    ``compress`` gzips the JSONL parts (``models.jsonl.gz`` …). Every ``add_*`` call appends one
    line; a model id may be added once (``add_model`` raises on duplicates).
    """

    def __init__(
        self,
        folder: Path,
        *,
        name: str,
        provenance: Mapping[str, Any],
        compress: bool = True,
        created: datetime | None = None,
        origin: str | None = None,
        origin_excludes: tuple[str, ...] = (),
    ) -> None:
        self.folder = folder
        self.origin = origin
        self.origin_excludes = origin_excludes
        self.name = name
        self.provenance = dict(provenance)
        self.created = hub_datetime(created or datetime.now(UTC))
        self.notes: list[str] = []
        self.highlights: dict[str, Any] = {}
        self._suffix = ".gz" if compress else ""
        self._writers: dict[str, JsonlWriter] = {}
        self._model_ids: set[str] = set()
        folder.mkdir(parents=True, exist_ok=True)
        for part in (MODELS, FILES, REVISIONS, COMMITS, SPACES, ALIASES, DELETED, PROVENANCE):
            for stale in (folder / part, folder / f"{part}.gz"):
                stale.unlink(missing_ok=True)

    # -- parts ---------------------------------------------------------------------------------

    def _part(self, name: str) -> JsonlWriter:
        writer = self._writers.get(name)
        if writer is None:
            writer = JsonlWriter(self.folder / f"{name}{self._suffix}")
            self._writers[name] = writer
        return writer

    def has_model(self, repo_id: str) -> bool:
        return repo_id in self._model_ids

    def add_model(self, info: Mapping[str, Any], *, provenance: Mapping[str, Any] | None = None) -> None:
        """One model_info payload (main revision), exactly as the Hub serves it; provenance kept apart."""
        repo_id = info.get("id")
        if not isinstance(repo_id, str) or not repo_id:
            raise SnapshotFormatError("a model payload needs a string 'id'")
        if repo_id in self._model_ids:
            raise SnapshotFormatError(f"model {repo_id!r} added twice")
        self._model_ids.add(repo_id)
        self._part(MODELS).write(info)
        if provenance:
            self._part(PROVENANCE).write({"id": repo_id, **provenance})

    def add_file(
        self,
        repo_id: str,
        path: str,
        content: str | bytes,
        *,
        revision: str | None = None,
        commit: str | None = None,
    ) -> None:
        """The content of one repo file; ``revision`` None means the main revision.

        ``commit`` is the commit the content was read at, when it differs from the model's ``sha``
        (or the model has none recorded).
        """
        line: dict[str, Any] = {"repo": repo_id, "revision": revision, "path": path}
        if commit:
            line["commit"] = commit
        if isinstance(content, str):
            line["text"] = content
        else:
            line["base64"] = base64.b64encode(content).decode("ascii")
        self._part(FILES).write(line)

    def add_revision(self, repo_id: str, sha: str, info: Mapping[str, Any]) -> None:
        """The model_info payload of an older revision ``sha`` of ``repo_id``."""
        self._part(REVISIONS).write({"repo": repo_id, "sha": sha, "info": dict(info)})

    def add_commits(self, repo_id: str, commits: Sequence[Mapping[str, Any]]) -> None:
        """The commit list of the main branch, newest first, as the Hub's commits endpoint returns it."""
        self._part(COMMITS).write({"repo": repo_id, "commits": [dict(c) for c in commits]})

    def add_space(self, info: Mapping[str, Any]) -> None:
        """One space_info payload (its ``models`` list links it to the models it uses)."""
        if not isinstance(info.get("id"), str):
            raise SnapshotFormatError("a space payload needs a string 'id'")
        self._part(SPACES).write(info)

    def add_alias(self, old: str, new: str, evidence: str) -> None:
        """A renamed repo: the Hub answers ``old`` with a 307 redirect to ``new``."""
        self._part(ALIASES).write({"old": old, "new": new, "evidence": evidence})

    def add_deleted(self, repo_id: str, evidence: str) -> None:
        """A repo that no longer exists: the Hub answers 404."""
        self._part(DELETED).write({"id": repo_id, "evidence": evidence})

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- finish --------------------------------------------------------------------------------

    def close(self) -> Manifest:
        counts: dict[str, int] = {}
        for name, writer in self._writers.items():
            writer.close()
            counts[name.removesuffix(".jsonl")] = writer.count
        manifest = Manifest(
            name=self.name,
            created=self.created,
            provenance=self.provenance,
            counts=counts,
            notes=tuple(self.notes),
            highlights=self.highlights,
            origin=self.origin,
            origin_excludes=self.origin_excludes,
        )
        (self.folder / MANIFEST).write_text(
            json.dumps(manifest.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return manifest

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            for writer in self._writers.values():
                writer.close()
