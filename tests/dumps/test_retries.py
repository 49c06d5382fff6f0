"""dumps.importer's retries without a database: a failing batch is written again whole with bounded backoff, and
after the allowed total wait the import stops with the checkpoint at that batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.observations import Observation
from dumps.errors import CheckpointMismatch, GraphGaveUp
from dumps.importer import Checkpoint, DumpImporter
from dumps.reader import open_dump
from dumps.settings import ImportSettings
from graph.errors import GraphQueryError, GraphUnavailable
from tests.dumps.sample import CLEAN_ROWS, write_dump

SETTINGS = ImportSettings(batch_rows=4, retry_max_wait_s=30, retry_backoff_base_s=1, retry_backoff_max_s=8)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class _FlakyWriter:
    """Fails the batch that starts at ``fail_at`` (by its first model) ``failures`` times."""

    def __init__(self, fail_at: str, failures: int, error: Exception | None = None) -> None:
        self.fail_at, self.failures, self.error = fail_at, failures, error or GraphUnavailable("down")
        self.calls: list[list[str]] = []

    def write(self, observations: list[Observation], *, run_id: str) -> None:
        ids = [o.id for o in observations if hasattr(o, "known_from")]  # the ModelSeen of the batch
        self.calls.append(ids)
        if ids and ids[0] == self.fail_at and self.failures > 0:
            self.failures -= 1
            raise self.error


def _importer(writer: _FlakyWriter, clock: _Clock) -> DumpImporter:
    return DumpImporter(writer, SETTINGS, sleep=clock.sleep, rand=lambda: 1.0, clock=lambda: clock.now)  # type: ignore[arg-type]


def test_a_batch_that_fails_is_written_again_whole_after_doubling_waits(tmp_path: Path) -> None:
    dump = open_dump(write_dump(tmp_path / "m.parquet", CLEAN_ROWS))
    clock = _Clock()
    writer = _FlakyWriter(CLEAN_ROWS[4]["id"], failures=3)
    report = _importer(writer, clock).run(dump)
    assert report.next_row == len(CLEAN_ROWS)
    assert clock.waits == [1.0, 2.0, 4.0] and report.retries == 3
    assert writer.calls[1] == writer.calls[2] == writer.calls[3] == writer.calls[4]  # the same batch, whole
    assert len(writer.calls) == 3 + 3


def test_after_the_allowed_wait_the_import_stops_at_the_failing_batch_with_its_checkpoint(tmp_path: Path) -> None:
    dump = open_dump(write_dump(tmp_path / "m.parquet", CLEAN_ROWS))
    clock = _Clock()
    keeper = Checkpoint(tmp_path / "cp.json")
    with pytest.raises(GraphGaveUp) as caught:
        _importer(_FlakyWriter(CLEAN_ROWS[4]["id"], failures=10**6), clock).run(dump, checkpoint=keeper)
    assert caught.value.next_row == 4 and "--resume" in str(caught.value)
    assert sum(clock.waits) == pytest.approx(30) and max(clock.waits) == 8
    assert keeper.load(dump) == 4  # rows 0-3 are written; --resume starts at 4
    resumed = _importer(_FlakyWriter("none", 0), _Clock()).run(dump, checkpoint=keeper, resume=True)
    assert (resumed.start_row, resumed.next_row) == (4, len(CLEAN_ROWS))


def test_a_permanent_graph_error_is_not_retried(tmp_path: Path) -> None:
    dump = open_dump(write_dump(tmp_path / "m.parquet", CLEAN_ROWS))
    clock = _Clock()
    with pytest.raises(GraphQueryError):
        _importer(_FlakyWriter(CLEAN_ROWS[0]["id"], 1, GraphQueryError("bad statement")), clock).run(dump)
    assert clock.waits == []


def test_a_checkpoint_of_another_version_of_the_file_is_refused(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "m.parquet", CLEAN_ROWS)
    keeper = Checkpoint(tmp_path / "cp.json")
    keeper.save(open_dump(path), 4)
    write_dump(path, CLEAN_ROWS[:5])  # the same path, another content
    with pytest.raises(CheckpointMismatch, match="is the checkpoint of"):
        keeper.load(open_dump(path))


def test_a_checkpoint_that_cannot_be_written_stops_the_import_before_any_write(tmp_path: Path) -> None:
    dump = open_dump(write_dump(tmp_path / "m.parquet", CLEAN_ROWS))
    writer = _FlakyWriter("none", 0)
    with pytest.raises(OSError):
        _importer(writer, _Clock()).run(dump, checkpoint=Checkpoint(tmp_path / "absent" / "cp.json"))
    assert writer.calls == []
