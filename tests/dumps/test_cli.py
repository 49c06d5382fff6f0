"""``lineage import``: exit 0 with a report when the rows are read (bad rows included); exit 2 and nothing written
for a file it cannot use, with one line naming what is wrong and no stack trace."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from neo4j import Driver
from typer.testing import CliRunner

from lineage.cli import app
from tests.dumps.sample import BAD_ROWS, CLEAN_ROWS, SCHEMA, write_dump

pytestmark = pytest.mark.integration


@pytest.fixture
def env(neo4j_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    monkeypatch.setenv("COLUMNS", "1000")  # one message, one line


def _models(driver: Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (m:Model) RETURN count(m) AS n")
    return int(records[0]["n"])


def test_an_import_prints_its_report_and_exits_0(env: None, clean_graph: Driver, tmp_path: Path) -> None:
    path = write_dump(tmp_path / "models.parquet", CLEAN_ROWS + BAD_ROWS)
    result = CliRunner().invoke(app, ["import", str(path), "--batch-rows", "5"])
    assert result.exit_code == 0, result.output
    for line in ("rows read", "models written", "derivations", "licences declared", "problems", "rows/s",
                 "row=12 id: no id", "invalid_repo_id"):
        assert line in result.output, line
    assert (tmp_path / "models.parquet.import-checkpoint.json").exists()
    assert _models(clean_graph) > 0


def test_a_missing_required_column_exits_2_naming_it_and_writes_nothing(env: None, clean_graph: Driver, tmp_path: Path) -> None:
    schema = pa.schema([f for f in SCHEMA if f.name != "id"])
    path = write_dump(tmp_path / "m.parquet", [{k: v for k, v in r.items() if k != "id"} for r in CLEAN_ROWS], schema=schema)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith("error: required column id or modelId not in the file; columns found: author, sha")
    assert _models(clean_graph) == 0


def test_a_file_that_is_not_parquet_exits_2_with_one_line(env: None, tmp_path: Path) -> None:
    path = tmp_path / "models.csv"
    path.write_text("id,tags\na/b,[]\n")
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "not a readable Parquet file" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_limit_then_resume_continues_at_the_checkpoint(env: None, clean_graph: Driver, tmp_path: Path) -> None:
    path = write_dump(tmp_path / "models.parquet", CLEAN_ROWS)
    first = CliRunner().invoke(app, ["import", str(path), "--limit", "6", "--batch-rows", "4"])
    assert first.exit_code == 0, first.output
    assert "6; next row 6" in first.output
    second = CliRunner().invoke(app, ["import", str(path), "--resume", "--batch-rows", "4"])
    assert second.exit_code == 0, second.output
    assert f"{len(CLEAN_ROWS) - 6} (resumed at row 6); next row {len(CLEAN_ROWS)}" in second.output
    assert _models(clean_graph) == len({r["id"] for r in CLEAN_ROWS} | {"alice/llama-ft"})
