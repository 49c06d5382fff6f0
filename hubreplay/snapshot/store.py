"""Load a snapshot folder into memory, indexed for the replay hub.

Model payloads are kept as their compact JSON bytes (parsed again on each request) plus a few
index fields, so 10,000+ models stay small; card bodies live once, in :attr:`Snapshot.files`.

A loaded snapshot is read as recorded, except through the ``put_*`` / ``remove_model`` methods: the
replay hub's edits (``POST /_replay/changes``, :mod:`hubreplay.serve.edits`) change it in memory, with
every index kept in step; the folder on disk is never written.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubreplay.snapshot.errors import SnapshotFormatError
from hubreplay.snapshot.format import (
    ALIASES,
    COMMITS,
    DELETED,
    FILES,
    MODELS,
    PROVENANCE,
    REVISIONS,
    SPACES,
    Manifest,
    find_part,
    iter_jsonl,
)
from hubreplay.snapshot.hubshape import RELATIONS, git_blob_id

__all__ = ["ModelEntry", "Snapshot", "StoredFile"]

_BASE_MODEL_PREFIX = "base_model:"


@dataclass(slots=True)
class ModelEntry:
    """One model of the snapshot: its payload bytes and the fields the list endpoint filters and sorts on."""

    id: str
    raw: bytes
    order: int
    author: str | None
    tags: frozenset[str]
    pipeline_tag: str | None
    library_name: str | None
    gated: bool | str | None
    sha: str | None
    downloads: int | None
    likes: int | None
    trending_score: int | float | None
    created_at: str | None
    last_modified: str | None
    providers: tuple[str, ...]
    parameters: int | None

    def info(self) -> dict[str, Any]:
        """A fresh, mutable copy of the model_info payload."""
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed

    def head_commit(self) -> dict[str, Any] | None:
        """The head commit as far as the payload knows it (sha and date, no title or authors), or None."""
        if self.sha is None or self.last_modified is None:
            return None
        return {"id": self.sha, "title": "", "message": "", "authors": [], "date": self.last_modified}

    @classmethod
    def from_payload(cls, raw: bytes, info: Mapping[str, Any], order: int) -> ModelEntry:
        tags = info.get("tags")
        mapping = info.get("inferenceProviderMapping")
        if isinstance(mapping, dict):
            providers = tuple(str(p) for p in mapping)
        elif isinstance(mapping, list):
            providers = tuple(str(m.get("provider")) for m in mapping if isinstance(m, dict))
        else:
            providers = ()
        safetensors = info.get("safetensors")
        total = safetensors.get("total") if isinstance(safetensors, dict) else None
        gated = info.get("gated")
        return cls(
            id=str(info["id"]),
            raw=raw,
            order=order,
            author=_opt_str(info.get("author")),
            tags=frozenset(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else frozenset(),
            pipeline_tag=_opt_str(info.get("pipeline_tag")),
            library_name=_opt_str(info.get("library_name")),
            gated=gated if isinstance(gated, bool | str) else None,
            sha=_opt_str(info.get("sha")),
            downloads=_opt_int(info.get("downloads")),
            likes=_opt_int(info.get("likes")),
            trending_score=_opt_number(info.get("trendingScore")),
            created_at=_opt_str(info.get("createdAt")),
            last_modified=_opt_str(info.get("lastModified")),
            providers=providers,
            parameters=_opt_int(total),
        )


@dataclass(frozen=True, slots=True)
class StoredFile:
    """The bytes of one repo file, its git blob id (the ``ETag`` the Hub gives a non-LFS file) and,
    when known, the commit the content was read at."""

    content: bytes
    blob_id: str
    commit: str | None = None


class Snapshot:
    """An in-memory, read-only view of a snapshot folder. Build it with :meth:`load`."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        self.models: dict[str, ModelEntry] = {}
        self.spaces: dict[str, bytes] = {}
        self.commits: dict[str, list[dict[str, Any]]] = {}
        self.revisions: dict[tuple[str, str], bytes] = {}
        self.files: dict[tuple[str, str | None, str], StoredFile] = {}
        self.aliases: dict[str, str] = {}
        self.deleted: dict[str, str] = {}
        self._lower: dict[str, str] = {}
        self._recorded_keys: dict[str, int] = {}  # lower-cased id -> keys recorded for its canonical spelling
        self._tag_index: dict[str, list[str]] = defaultdict(list)
        self._field_index: dict[str, list[str]] = defaultdict(list)
        self._spellings: dict[str, list[str]] = defaultdict(list)  # lower-cased id -> stored ids
        self._file_paths: dict[str, set[tuple[str | None, str]]] = defaultdict(set)  # id -> (revision, path)
        self._spaces_by_model: dict[str, list[str]] = defaultdict(list)
        self._space_lower: dict[str, str] = {}
        self._provenance: dict[str, dict[str, Any]] | None = None
        self._next_order = 0

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path | str) -> Snapshot:
        """Read a snapshot folder (raises :class:`SnapshotNotFoundError` / :class:`SnapshotFormatError`)."""
        path = Path(folder)
        snapshot = cls(path, Manifest.read(path))
        models = find_part(path, MODELS)
        if models is None:
            raise SnapshotFormatError(f"no {MODELS} in {path}")
        for order, (raw, info) in enumerate(iter_jsonl(models)):
            snapshot._add_model(raw, info, order)
        snapshot._load_optional(path)
        return snapshot

    def _add_model(self, raw: bytes, info: Mapping[str, Any], order: int) -> None:
        repo_id = info.get("id")
        if not isinstance(repo_id, str) or not repo_id:
            raise SnapshotFormatError(f"{MODELS}: a model without a string id (line {order + 1})")
        if repo_id in self.models:
            raise SnapshotFormatError(f"{MODELS}: model {repo_id!r} appears twice")
        entry = ModelEntry.from_payload(raw, info, order)
        key = repo_id.lower()
        if len(info) >= self._recorded_keys.get(key, -1):
            # two spellings of one id (the Hub ignores case): the record with more recorded keys
            # answers for both, so a reference stub never shadows the model's fetched record
            self._lower[key] = repo_id
            self._recorded_keys[key] = len(info)
        self._index(entry)

    def _index(self, entry: ModelEntry) -> None:
        self.models[entry.id] = entry
        self._spellings[entry.id.lower()].append(entry.id)
        self._next_order = max(self._next_order, entry.order + 1)
        for tag in entry.tags:
            self._tag_index[tag].append(entry.id)
        for value in self._field_values(entry):
            self._field_index[value].append(entry.id)

    def _unindex(self, entry: ModelEntry) -> None:
        del self.models[entry.id]
        self._spellings[entry.id.lower()].remove(entry.id)
        for tag in entry.tags:
            self._tag_index[tag].remove(entry.id)
        for value in self._field_values(entry):
            self._field_index[value].remove(entry.id)

    @staticmethod
    def _field_values(entry: ModelEntry) -> set[str]:
        return {str(value) for value in {entry.pipeline_tag, entry.library_name} - {None} - entry.tags}

    def _load_optional(self, path: Path) -> None:
        if (part := find_part(path, SPACES)) is not None:
            for raw, info in iter_jsonl(part):
                space_id = _required_str(info, "id", SPACES)
                self.spaces[space_id] = raw
                self._space_lower[space_id.lower()] = space_id
                for model_id in info.get("models") or ():
                    if isinstance(model_id, str):
                        self._spaces_by_model[model_id.lower()].append(space_id)
        if (part := find_part(path, COMMITS)) is not None:
            for _, line in iter_jsonl(part):
                commits = line.get("commits")
                if not isinstance(commits, list):
                    raise SnapshotFormatError(f"{COMMITS}: 'commits' must be a list")
                self.commits[_required_str(line, "repo", COMMITS)] = commits
        if (part := find_part(path, REVISIONS)) is not None:
            for _, line in iter_jsonl(part):
                revision = line.get("info")
                if not isinstance(revision, dict):
                    raise SnapshotFormatError(f"{REVISIONS}: 'info' must be an object")
                key = (_required_str(line, "repo", REVISIONS), _required_str(line, "sha", REVISIONS))
                self.revisions[key] = json.dumps(revision, separators=(",", ":")).encode("utf-8")
        if (part := find_part(path, FILES)) is not None:
            for _, line in iter_jsonl(part):
                self._add_file(line)
        if (part := find_part(path, ALIASES)) is not None:
            for _, line in iter_jsonl(part):
                self.aliases[_required_str(line, "old", ALIASES).lower()] = _required_str(line, "new", ALIASES)
        if (part := find_part(path, DELETED)) is not None:
            for _, line in iter_jsonl(part):
                self.deleted[_required_str(line, "id", DELETED).lower()] = str(line.get("evidence") or "")

    def _add_file(self, line: Mapping[str, Any]) -> None:
        repo = _required_str(line, "repo", FILES)
        file_path = _required_str(line, "path", FILES)
        revision = line.get("revision")
        if revision is not None and not isinstance(revision, str):
            raise SnapshotFormatError(f"{FILES}: 'revision' must be a string or null")
        if isinstance(line.get("text"), str):
            content = line["text"].encode("utf-8")
        elif isinstance(line.get("base64"), str):
            try:
                content = base64.b64decode(line["base64"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SnapshotFormatError(f"{FILES}: {repo}/{file_path}: bad base64") from exc
        else:
            raise SnapshotFormatError(f"{FILES}: {repo}/{file_path}: needs 'text' or 'base64'")
        commit = line.get("commit")
        self._file_paths[repo].add((revision, file_path))
        self.files[(repo, revision, file_path)] = StoredFile(
            content, git_blob_id(content), commit if isinstance(commit, str) else None
        )

    # -- lookups -------------------------------------------------------------------------------

    def canonical_id(self, repo_id: str) -> str | None:
        """The stored id of a model, matched case-insensitively (the Hub ignores case in ids); when two
        spellings are stored, the one whose record holds more keys (a stub only names the model)."""
        return self._lower.get(repo_id.lower())

    def model(self, repo_id: str) -> ModelEntry | None:
        canonical = self.canonical_id(repo_id)
        return self.models[canonical] if canonical is not None else None

    def alias_target(self, repo_id: str) -> str | None:
        """The new id of a renamed repo (answered with 307), or None."""
        return self.aliases.get(repo_id.lower())

    def is_deleted(self, repo_id: str) -> bool:
        return repo_id.lower() in self.deleted

    def ids_with_tag(self, tag: str) -> list[str]:
        """Model ids carrying ``tag``, in snapshot order (e.g. ``base_model:finetune:org/name``)."""
        return self._tag_index.get(tag, [])

    def ids_matching(self, value: str) -> list[str]:
        """Model ids a list ``filter`` value selects: a tag, or the pipeline tag / library name."""
        tagged = self._tag_index.get(value, [])
        by_field = self._field_index.get(value, [])
        if not by_field:
            return tagged
        return sorted({*tagged, *by_field}, key=lambda repo_id: self.models[repo_id].order)

    def children(self, repo_id: str, relation: str | None = None) -> list[str]:
        """Ids of models whose Hub tags name ``repo_id`` as base model (with ``relation``, or any)."""
        relations = (relation,) if relation else RELATIONS
        found: list[str] = []
        for rel in relations:
            found.extend(self.ids_with_tag(f"{_BASE_MODEL_PREFIX}{rel}:{repo_id}"))
        return found

    def children_counts(self, repo_id: str) -> dict[str, int]:
        """``childrenModelCount`` as the Hub computes it: number of children per relation."""
        return {rel: len(self.ids_with_tag(f"{_BASE_MODEL_PREFIX}{rel}:{repo_id}")) for rel in RELATIONS}

    def revision_info(self, repo_id: str, sha: str) -> dict[str, Any] | None:
        raw = self.revisions.get((repo_id, sha))
        if raw is None:
            return None
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    def revision_shas(self, repo_id: str) -> list[str]:
        return [sha for (repo, sha) in self.revisions if repo == repo_id]

    def file(self, repo_id: str, path: str, revision: str | None = None) -> StoredFile | None:
        """A file's content at ``revision`` (None = main)."""
        return self.files.get((repo_id, revision, path))

    def space(self, space_id: str) -> dict[str, Any] | None:
        canonical = self._space_lower.get(space_id.lower())
        if canonical is None:
            return None
        parsed: dict[str, Any] = json.loads(self.spaces[canonical])
        return parsed

    def spaces_using(self, model_id: str) -> list[str]:
        return self._spaces_by_model.get(model_id.lower(), [])

    def iter_models(self) -> Iterator[ModelEntry]:
        return iter(self.models.values())

    def provenance(self, repo_id: str) -> dict[str, Any] | None:
        """Where a record came from (read lazily from ``provenance.jsonl``; never part of Hub answers)."""
        if self._provenance is None:
            self._provenance = {}
            part = find_part(self.folder, PROVENANCE)
            if part is not None:
                for _, line in iter_jsonl(part):
                    self._provenance[str(line.get("id"))] = line
        return self._provenance.get(repo_id)

    def __len__(self) -> int:
        return len(self.models)

    # -- edits (in memory only) ----------------------------------------------------------------

    def put_model(self, info: Mapping[str, Any]) -> ModelEntry:
        """Store ``info`` as the main-revision payload of its model: a new model (listed last in snapshot
        order) or the new state of a stored one (same place in snapshot order); the id is no longer deleted."""
        repo_id = info.get("id")
        if not isinstance(repo_id, str) or not repo_id:
            raise SnapshotFormatError("a model payload needs a string 'id'")
        old = self.models.get(repo_id)
        if old is not None:
            self._unindex(old)
        raw = json.dumps(info, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        entry = ModelEntry.from_payload(raw, info, old.order if old is not None else self._next_order)
        key = repo_id.lower()
        self._lower[key] = repo_id
        self._recorded_keys[key] = len(info)
        self.deleted.pop(key, None)
        self._index(entry)
        return entry

    def remove_model(self, repo_id: str, evidence: str) -> list[str]:
        """Delete a model: every stored spelling of its id is unlisted and answers 404; returns those ids."""
        key = repo_id.lower()
        gone = [self.models[spelling] for spelling in self._spellings.get(key, ())]
        for entry in gone:
            self._unindex(entry)
        self._lower.pop(key, None)
        self._recorded_keys.pop(key, None)
        self.deleted[key] = evidence
        return [entry.id for entry in gone]

    def put_revision(self, repo_id: str, sha: str, info: Mapping[str, Any]) -> None:
        """The payload of revision ``sha`` (answered by ``/api/models/{id}/revision/{sha}``)."""
        self.revisions[(repo_id, sha)] = json.dumps(info, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def put_file(self, repo_id: str, path: str, content: bytes, revision: str | None = None) -> StoredFile:
        """A file's content at ``revision`` (None = main)."""
        stored = StoredFile(content, git_blob_id(content))
        self.files[(repo_id, revision, path)] = stored
        self._file_paths[repo_id].add((revision, path))
        return stored

    def files_at(self, repo_id: str, revision: str | None = None) -> dict[str, StoredFile]:
        """Every stored file of ``repo_id`` at ``revision`` (None = main), by path."""
        paths = sorted(path for rev, path in self._file_paths.get(repo_id, ()) if rev == revision)
        return {path: self.files[(repo_id, revision, path)] for path in paths}

    def put_commits(self, repo_id: str, commits: list[dict[str, Any]]) -> None:
        """The commit list of the main branch, newest first."""
        self.commits[repo_id] = commits


def _required_str(line: Mapping[str, Any], key: str, part: str) -> str:
    value = line.get(key)
    if not isinstance(value, str) or not value:
        raise SnapshotFormatError(f"{part}: line without a string {key!r}")
    return value


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
