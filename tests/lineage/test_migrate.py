"""``lineage migrate``: reports what it created and what existed; one line and exit 1 when Neo4j is away."""

from __future__ import annotations

import pytest
from neo4j import Driver
from typer.testing import CliRunner

from graph.schema import SCHEMA, missing_schema
from lineage.cli import app
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


def test_migrate_creates_what_is_missing_and_reports_what_existed(
    neo4j_driver: Driver, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    neo4j_driver.execute_query("DROP INDEX model_author IF EXISTS")
    try:
        result = CliRunner().invoke(app, ["migrate"])
    finally:
        neo4j_driver.execute_query(next(i.statement for i in SCHEMA if i.name == "model_author"))
    assert result.exit_code == 0, result.output
    assert f"1 created, {len(SCHEMA) - 1} existed" in result.output
    assert missing_schema(neo4j_driver) == ()
    again = CliRunner().invoke(app, ["migrate"])
    assert again.exit_code == 0
    assert f"0 created, {len(SCHEMA)} existed" in again.output


def test_migrate_without_neo4j_fails_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_CONNECT_TIMEOUT_S", "2")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert uri in lines[0] and "cannot reach Neo4j" in lines[0]
