"""``lineage investigate`` and ``lineage export aibom`` against the real Neo4j (the command
functions mounted on a Typer app the way ``lineage/cli.py`` mounts them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from typer.testing import CliRunner

from lineage.commands import export
from lineage.commands.investigate import investigate
from tests.support.families import GGUF, GGUF_PARENT, RELICENSED, Families

pytestmark = pytest.mark.integration

app = typer.Typer()
app.command()(investigate)
app.add_typer(export.app, name="export")
runner = CliRunner()


@pytest.fixture
def env(neo4j_uri: str, families: Families, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)


def test_investigate_prints_markdown_and_writes_json_and_html(env: None, tmp_path: Path) -> None:
    md = runner.invoke(app, ["investigate", GGUF])
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith(f"# Investigation dossier: `{GGUF}`")
    assert f"`{GGUF}` is a quantization of `{GGUF_PARENT}`" in md.stdout
    out = tmp_path / "dossier.json"
    args = ["investigate", RELICENSED, "--as-of", "2024-09-01", "--format", "json", "--out", str(out)]
    as_json = runner.invoke(app, args)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(out.read_text())
    assert data["models"][0]["license"] == "apache-2.0" and data["as_of"] == "2024-09-01T00:00:00Z"
    assert data["content_hash"] in as_json.stderr
    html = runner.invoke(app, ["investigate", GGUF, "-f", "html"])
    assert html.exit_code == 0 and html.stdout.startswith("<!DOCTYPE html>")


def test_investigate_by_weight_file(env: None, families: Families) -> None:
    result = runner.invoke(app, ["investigate", families.weights_sha256, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["subject"] == GGUF


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["investigate", "nobody/nothing"], 1, "error: model 'nobody/nothing' is not in the graph"),
        (["investigate", GGUF, "--as-of", "2999-01-01"], 2, "error: as-of 2999-01-01T00:00:00Z is in the future"),
        (["investigate", GGUF, "--as-of", "whenever"], 2, "error: as-of 'whenever' is not an ISO 8601"),
        (["investigate", GGUF, "--format", "pdf"], 2, "error: --format must be md, json or html"),
        (["investigate", "0" * 64], 1, "error: no model in the graph holds a file with sha256"),
        (["export", "aibom", "nobody/nothing"], 1, "error: model 'nobody/nothing' is not in the graph"),
    ],
)
def test_bad_input_fails_with_one_line(env: None, args: list[str], code: int, says: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(says), result.stderr


def test_export_aibom_writes_a_valid_bom(env: None, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    result = runner.invoke(app, ["export", "aibom", GGUF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out.read_text()) is None
    bom = json.loads(out.read_text())
    assert bom["metadata"]["component"]["pedigree"]["ancestors"]
