"""dumps.reader: checks before anything is written, evidence of the file, batches that resume mid-file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from dumps.errors import DumpUnreadable, MissingColumns
from dumps.reader import iter_rows, open_dump, row_url
from tests.dumps.sample import BAD_ROWS, CLEAN_ROWS, SCHEMA, write_dump


def test_a_file_without_a_required_column_names_it_and_the_columns_found(tmp_path: Path) -> None:
    schema = pa.schema([f for f in SCHEMA if f.name != "tags"])
    path = write_dump(tmp_path / "m.parquet", [{k: v for k, v in r.items() if k != "tags"} for r in CLEAN_ROWS], schema=schema)
    with pytest.raises(MissingColumns) as caught:
        open_dump(path)
    assert caught.value.missing == ["tags"]
    assert str(caught.value).startswith("required column tags not in the file; columns found: id, author, sha")


@pytest.mark.parametrize("content", [b"", b"id,tags\na/b,[]\n", b"PAR1" + b"\0" * 40])
def test_a_file_that_is_not_parquet_is_unreadable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.parquet"
    path.write_bytes(content)
    with pytest.raises(DumpUnreadable, match="not a readable Parquet file"):
        open_dump(path)


def test_a_missing_path_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(DumpUnreadable):
        open_dump(tmp_path / "absent.parquet")


def test_evidence_is_the_file_uri_and_row_its_sha256_and_its_modification_time(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "models.parquet", CLEAN_ROWS)
    dump = open_dump(path)
    assert dump.revision == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert row_url(dump, 7) == f"file://{path.resolve()}#row=7"
    assert dump.observed_from == "file modification time"
    assert dump.observed_at == datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def test_a_snapshot_time_recorded_in_the_file_is_when_it_was_observed(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "m.parquet", CLEAN_ROWS, metadata={"snapshot_at": "2026-11-30T06:00:00Z"})
    dump = open_dump(path)
    assert dump.observed_at == datetime(2026, 11, 30, 6, tzinfo=UTC)
    assert dump.observed_from == "file metadata snapshot_at"


def test_rows_come_in_batches_and_resume_mid_row_group(tmp_path: Path) -> None:
    rows = CLEAN_ROWS + BAD_ROWS
    dump = open_dump(write_dump(tmp_path / "m.parquet", rows, row_group_size=4))
    assert dump.row_group_rows == (4, 4, 4, 3)
    got = [(first, [r["id"] for r in batch]) for first, batch in iter_rows(dump, batch_rows=3)]
    assert [first for first, _ in got] == [0, 3, 6, 9, 12]
    assert [i for _, ids in got for i in ids] == [r["id"] for r in rows]
    resumed = [(first, [r["id"] for r in batch]) for first, batch in iter_rows(dump, batch_rows=3, start_row=9)]
    assert resumed[0] == (9, [rows[9]["id"], rows[10]["id"]])
    assert [i for _, ids in resumed for i in ids] == [r["id"] for r in rows[9:]]
    assert list(iter_rows(dump, batch_rows=3, start_row=len(rows))) == []


def test_only_the_columns_the_import_uses_are_read(tmp_path: Path) -> None:
    dump = open_dump(write_dump(tmp_path / "m.parquet", CLEAN_ROWS))
    _, batch = next(iter_rows(dump, batch_rows=100))
    assert "downloadsAllTime" not in batch[0] and "trendingScore" not in batch[0]
    assert {"id", "tags", "cardData", "baseModels", "safetensors"} <= batch[0].keys()
