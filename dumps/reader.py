"""A Parquet dump of Hub model metadata, opened and read batch by batch with bounded memory.

:func:`open_dump` checks the file (Parquet, the required columns) before anything is written and
fixes what every observation of the import will carry as its evidence:

- **url**: ``file:///abs/path/models.parquet#row=N`` — the file's absolute URI and the row's
  0-based position in the file (the order Parquet stores the rows in, row groups in order).
- **revision**: ``sha256:<hex>`` of the whole file, computed by reading it once in 8 MiB blocks
  before the import starts (the Parquet footer has no content hash or etag of the snapshot).
- **observed_at**: when the dump says the Hub looked like this — the ISO 8601 time in the file's
  key-value metadata under one of :data:`SNAPSHOT_KEYS` when the writer of the dump recorded one;
  otherwise the file's modification time (UTC), which for a downloaded snapshot is when it was
  downloaded, not when it was taken: :attr:`DumpFile.observed_from` says which was used.

:func:`iter_rows` reads only the columns the import uses, ``batch_rows`` rows at a time
(``ParquetFile.iter_batches``), column chunks streamed in 8 MiB reads (``buffer_size``) rather than
loaded whole, so memory does not grow with the size of a row group; from a resume point it starts at
the row group holding that row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dumps.columns import find_columns
from dumps.errors import DumpUnreadable, MissingColumns

__all__ = ["SNAPSHOT_KEYS", "DumpFile", "iter_rows", "open_dump", "row_url"]

SNAPSHOT_KEYS: tuple[str, ...] = ("lineage.snapshot_at", "snapshot_at", "snapshot_time")
_BLOCK = 8 << 20


@dataclass(frozen=True, slots=True)
class DumpFile:
    """A dump that passed the checks: where it is, which of its columns are read, its evidence."""

    path: Path
    columns: dict[str, str]  # Hub JSON key → the file's column name
    num_rows: int
    row_group_rows: tuple[int, ...]
    revision: str
    observed_at: datetime
    observed_from: str  # "file metadata <key>" or "file modification time"

    @property
    def uri(self) -> str:
        return self.path.as_uri()


def row_url(dump: DumpFile, row: int) -> str:
    """The evidence URL of one row."""
    return f"{dump.uri}#row={row}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _snapshot_time(metadata: dict[bytes, bytes] | None) -> tuple[datetime, str] | None:
    for key in SNAPSHOT_KEYS:
        raw = (metadata or {}).get(key.encode())
        if raw is None:
            continue
        try:
            moment = datetime.fromisoformat(raw.decode().replace("Z", "+00:00"))
        except ValueError:
            continue
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), f"file metadata {key}"
    return None


def open_dump(path: Path) -> DumpFile:
    """Check ``path`` and read what the import needs of its footer; raises DumpUnreadable or MissingColumns."""
    path = path.expanduser().resolve()
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise DumpUnreadable(f"{path}: not a readable Parquet file ({exc})") from exc
    with parquet:
        names = parquet.schema_arrow.names
        columns, missing = find_columns(names)
        if missing:
            raise MissingColumns(missing, names)
        meta = parquet.metadata
        groups = tuple(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
        snapshot = _snapshot_time(parquet.schema_arrow.metadata)
    if snapshot is None:
        snapshot = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "file modification time"
    try:
        revision = _sha256(path)
    except OSError as exc:
        raise DumpUnreadable(f"{path}: cannot be read ({exc})") from exc
    return DumpFile(path, columns, meta.num_rows, groups, revision, snapshot[0], snapshot[1])


def iter_rows(dump: DumpFile, *, batch_rows: int, start_row: int = 0) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(number of the first row, the rows as dicts of the read columns), ``batch_rows`` rows at a time."""
    first_group, row = 0, 0
    while first_group < len(dump.row_group_rows) and row + dump.row_group_rows[first_group] <= start_row:
        row += dump.row_group_rows[first_group]
        first_group += 1
    if first_group == len(dump.row_group_rows):
        return
    try:
        with pq.ParquetFile(dump.path, buffer_size=_BLOCK, pre_buffer=False) as parquet:
            batches = parquet.iter_batches(
                batch_size=batch_rows,
                columns=sorted(set(dump.columns.values())),
                row_groups=range(first_group, len(dump.row_group_rows)),
            )
            for batch in batches:
                rows = batch.to_pylist()
                if row + len(rows) > start_row:
                    skip = max(0, start_row - row)
                    yield row + skip, rows[skip:]
                row += len(rows)
    except (OSError, pa.ArrowException) as exc:
        raise DumpUnreadable(f"{dump.path}: unreadable at row {row} ({exc})") from exc
