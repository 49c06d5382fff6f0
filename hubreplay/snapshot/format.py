"""The on-disk layout of a hub snapshot (see ``FORMAT.md`` next to this module).

A snapshot is a folder::

    manifest.json          name, created, provenance, counts, notes (required)
    models.jsonl[.gz]      one Hub model_info payload per line, main revision (required)
    files.jsonl[.gz]       file contents: {"repo", "revision", "path", "text" | "base64"}
    revisions.jsonl[.gz]   older revisions: {"repo", "sha", "info": <model_info payload at that revision>}
    commits.jsonl[.gz]     {"repo", "commits": [<Hub commit items, newest first>]}
    spaces.jsonl[.gz]      one Hub space_info payload per line
    aliases.jsonl[.gz]     {"old", "new", "evidence"}: renamed repos, answered with 307
    deleted.jsonl[.gz]     {"id", "evidence"}: repos that are gone, answered with 404
    provenance.jsonl[.gz]  {"id", "sources": [...], "notes": [...]}: never served in Hub-shaped answers

Every JSONL file may be gzip-compressed (``.gz`` suffix); readers accept both.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from hubreplay.snapshot.errors import SnapshotFormatError, SnapshotNotFoundError

__all__ = [
    "ALIASES",
    "COMMITS",
    "DELETED",
    "FILES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST",
    "MODELS",
    "PROVENANCE",
    "REVISIONS",
    "SPACES",
    "JsonlWriter",
    "Manifest",
    "find_part",
    "hub_datetime",
    "iter_jsonl",
]

FORMAT_NAME: Final = "lineage-hub-snapshot"
FORMAT_VERSION: Final = 1

MANIFEST: Final = "manifest.json"
MODELS: Final = "models.jsonl"
FILES: Final = "files.jsonl"
REVISIONS: Final = "revisions.jsonl"
COMMITS: Final = "commits.jsonl"
SPACES: Final = "spaces.jsonl"
ALIASES: Final = "aliases.jsonl"
DELETED: Final = "deleted.jsonl"
PROVENANCE: Final = "provenance.jsonl"


def hub_datetime(value: datetime) -> str:
    """Format a datetime the way the Hub does: ``2024-09-25T17:00:57.000Z`` (UTC, milliseconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Manifest:
    """What a snapshot is, when and from what it was made."""

    name: str
    created: str
    provenance: Mapping[str, Any]
    counts: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    highlights: Mapping[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    origin: str | None = None
    """The public hub the snapshot's records were recorded from (e.g. https://huggingface.co): evidence of
    what the replay hub serves cites it, so a reader can open the same record. None for synthetic snapshots."""
    origin_excludes: tuple[str, ...] = ()
    """Repo-id prefixes of constructed records (test fixtures) that do not exist at ``origin``; their
    evidence keeps citing the replay hub."""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "name": self.name,
            "created": self.created,
            "provenance": dict(self.provenance),
            "counts": dict(self.counts),
            "notes": list(self.notes),
            "highlights": dict(self.highlights),
            **({"origin": self.origin, "origin_excludes": list(self.origin_excludes)} if self.origin else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("format") != FORMAT_NAME:
            raise SnapshotFormatError(f"manifest.json: format is {data.get('format')!r}, expected {FORMAT_NAME!r}")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise SnapshotFormatError(f"manifest.json: unsupported format_version {version!r}")
        try:
            return cls(
                name=str(data["name"]),
                created=str(data["created"]),
                provenance=dict(data.get("provenance") or {}),
                counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
                notes=tuple(str(n) for n in data.get("notes") or ()),
                highlights=dict(data.get("highlights") or {}),
                format_version=int(version),
                origin=str(data["origin"]) if data.get("origin") else None,
                origin_excludes=tuple(str(p) for p in data.get("origin_excludes") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotFormatError(f"manifest.json: {exc}") from exc

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise SnapshotNotFoundError(f"no {MANIFEST} in {folder}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SnapshotFormatError(f"{path}: {exc}") from exc
        if not isinstance(data, dict):
            raise SnapshotFormatError(f"{path}: not a JSON object")
        return cls.from_json(data)


def find_part(folder: Path, name: str) -> Path | None:
    """The file holding part ``name`` (``models.jsonl`` or ``models.jsonl.gz``), or None if absent."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def iter_jsonl(path: Path) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Yield ``(raw line, parsed object)`` for every non-empty line of a (gzipped) JSONL file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                raw = line.strip()
                if not raw:
                    continue
                try:
                    obj = json.loads(raw)
                except ValueError as exc:
                    raise SnapshotFormatError(f"{path.name}:{number}: {exc}") from exc
                if not isinstance(obj, dict):
                    raise SnapshotFormatError(f"{path.name}:{number}: not a JSON object")
                yield raw, obj
    except (OSError, EOFError) as exc:
        raise SnapshotFormatError(f"{path}: {exc}") from exc


class JsonlWriter:
    """Append JSON objects to a JSONL part, gzip-compressed when the name ends in ``.gz``.

    Compression is reproducible (no file name or time in the gzip header), so rebuilding a snapshot from the
    same input gives the same bytes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._raw: IO[bytes] = path.open("wb")
        self._out: IO[bytes] | gzip.GzipFile = self._raw
        if path.suffix == ".gz":
            self._out = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=9)

    def write(self, obj: Mapping[str, Any]) -> None:
        self._out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        self.count += 1

    def close(self) -> None:
        if self._out is not self._raw:
            self._out.close()
        self._raw.close()
