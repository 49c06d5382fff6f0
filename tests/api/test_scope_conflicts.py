"""A scope's conflicts, one row per conflict, on the bundled real snapshot: the read
(graph.reads.scope_conflicts), GraphQL ``Propagation.conflicts`` and ``GET /api/scopes/conflicts.csv``.

Expected rows come from the engine run directly over the lineage read from the graph (no API)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from neo4j import Driver

from api.settings import ApiSettings
from graph.client import GraphClient
from graph.results.engine_input import load_lineage_view
from graph.settings import Neo4jSettings
from terms.licenses import default_catalog
from terms.propagation import PropagationEngine
from terms.propagation.rules import Severity
from tests.support.graphql import api_settings, http_client, run_graphql

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

LLAMA = "meta-llama/Llama-3.1-8B"
RELABELLED_QUANT = "modularai/llama-3.1"  # declares llama3 over a llama3.1 parent: R23
FIXTURES = "lineage-fixtures/"

SCOPE = """query($root: ID, $license: String, $term: String, $rule: String, $severity: Severity, $first: Int!, $after: String) {
  propagation(root: $root, license: $license, term: $term) {
    scope totalModels conflictsByRule { ruleId severity conflicts models }
    conflicts(rule: $rule, severity: $severity, first: $first, after: $after) {
      totalCount models edges { modelId ruleId severity message licenses path sources cursor }
      pageInfo { hasNextPage endCursor } } } }"""


def _members(driver: Driver, root: str) -> list[str]:
    records, _, _ = driver.execute_query(
        "MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {id: $id}) RETURN x.id AS id", {"id": root}
    )
    return [root, *sorted(str(r["id"]) for r in records)]


def _engine_rows(driver: Driver, ids: list[str]) -> list[tuple[str, str, str, str]]:
    loaded = load_lineage_view(driver, ids)
    present = [i for i in ids if i in loaded.view.nodes]
    results = PropagationEngine(default_catalog()).run(loaded.view).results(present)
    return sorted(
        (m, c.rule, c.severity.value, c.message) for m, r in results.items() for c in r.conflicts
    )


async def _ok(graph: GraphClient, settings: ApiSettings, query: str, **variables: Any) -> Any:
    result = await run_graphql(graph, query, variables, settings=settings)
    assert result.errors is None, result.errors
    return result.data


async def test_the_read_lists_every_conflict_of_a_family_by_model_and_rule(graph: GraphClient, neo4j_driver: Driver) -> None:
    members = await graph.reader.scope_members(root=LLAMA)
    assert members is not None
    ids = {m.id for m in members.members}
    family = set(_members(neo4j_driver, LLAMA))
    # the family's members (the lineage fixtures may be left out of statistics)
    assert ids <= family and all(m.startswith(FIXTURES) for m in family - ids) and len(ids) > 5
    rows = [c async for page in graph.reader.scope_conflict_pages(members) for c in page]
    assert [(c.model_id, c.rule) for c in rows] == sorted((c.model_id, c.rule) for c in rows)
    assert sorted((c.model_id, c.rule, c.severity.value, c.message) for c in rows) == _engine_rows(neo4j_driver, sorted(ids))
    relabelled = [c for c in rows if c.model_id == RELABELLED_QUANT]
    assert "R23" in {c.rule for c in relabelled}
    r23 = next(c for c in relabelled if c.rule == "R23")
    assert r23.path[0] == RELABELLED_QUANT and r23.licenses
    assert any(url.startswith("https://") for url in r23.sources)  # the llama licences' published texts
    only = [c async for page in graph.reader.scope_conflict_pages(members, rule="R23", severity=Severity.VIOLATION) for c in page]
    assert only == [c for c in rows if c.rule == "R23" and c.severity is Severity.VIOLATION]


async def test_graphql_pages_through_the_same_rows_and_agrees_with_conflicts_by_rule(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    seen: list[tuple[str, str, str, str]] = []
    after = None
    pages = 0
    while True:
        data = (await _ok(graph, settings, SCOPE, root=LLAMA, first=7, after=after))["propagation"]
        page = data["conflicts"]
        seen.extend((e["modelId"], e["ruleId"], e["severity"].lower(), e["message"]) for e in page["edges"])
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages > 1 and len(seen) == page["totalCount"]
    members = await graph.reader.scope_members(root=LLAMA)
    assert members is not None
    assert sorted(seen) == _engine_rows(neo4j_driver, sorted(m.id for m in members.members))
    assert page["totalCount"] == sum(r["conflicts"] for r in data["conflictsByRule"])
    for tally in data["conflictsByRule"]:
        narrowed = (await _ok(graph, settings, SCOPE, root=LLAMA, rule=tally["ruleId"], severity=tally["severity"], first=500))
        found = narrowed["propagation"]["conflicts"]
        assert (found["totalCount"], found["models"]) == (tally["conflicts"], tally["models"]), tally
        assert {e["ruleId"] for e in found["edges"]} == {tally["ruleId"]}
    bad = await run_graphql(graph, SCOPE, {"root": LLAMA, "first": 5, "after": "bm9wZQ=="}, settings=settings)
    assert bad.errors and "cursor" in bad.errors[0].message


async def test_licence_and_term_scopes_list_conflicts_consistent_with_their_tallies(graph: GraphClient, settings: ApiSettings) -> None:
    for variables in ({"license": "Apache-2.0"}, {"term": "restriction:military"}):
        data = (await _ok(graph, settings, SCOPE, first=500, **variables))["propagation"]
        assert data is not None, variables
        conflicts = data["conflicts"]
        assert conflicts["totalCount"] == sum(r["conflicts"] for r in data["conflictsByRule"]), variables
        with_any = {e["modelId"] for e in conflicts["edges"]}
        assert conflicts["models"] >= max([r["models"] for r in data["conflictsByRule"]] or [0])
        if conflicts["totalCount"] <= 500:
            assert conflicts["models"] == len(with_any)


@pytest.fixture
async def http(bundled_graph: Any, neo4j_settings: Neo4jSettings, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    bundled_graph.ensure()
    async with http_client(neo4j_settings, api_settings(redis_url)) as client:
        yield client


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_the_csv_export_has_the_graphql_rows(http: httpx.AsyncClient, graph: GraphClient, settings: ApiSettings) -> None:
    response = await http.get("/api/scopes/conflicts.csv", params={"root": LLAMA})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-scope"] == f"root:{LLAMA}"
    assert "attachment" in response.headers["content-disposition"]
    assert "x-truncated" not in response.headers
    assert response.text.splitlines()[0] == "model_id,rule,severity,message,licenses,path,license_sources"
    rows = _csv(response)
    data = (await _ok(graph, settings, SCOPE, root=LLAMA, first=500))["propagation"]
    assert int(response.headers["x-scope-models"]) == data["totalModels"]
    assert [(r["model_id"], r["rule"], r["severity"], r["message"]) for r in rows] == [
        (e["modelId"], e["ruleId"], e["severity"].lower(), e["message"]) for e in data["conflicts"]["edges"]
    ]
    r23 = next(r for r in rows if r["model_id"] == RELABELLED_QUANT and r["rule"] == "R23")
    assert r23["path"].startswith(RELABELLED_QUANT) and r23["licenses"] and r23["license_sources"].startswith("https://")

    narrowed = _csv(await http.get("/api/scopes/conflicts.csv", params={"root": LLAMA, "rule": "R23", "severity": "VIOLATION"}))
    assert narrowed and narrowed == [r for r in rows if r["rule"] == "R23" and r["severity"] == "violation"]


async def test_the_csv_export_of_a_licence_in_any_case_and_of_a_term(http: httpx.AsyncClient) -> None:
    licence = await http.get("/api/scopes/conflicts.csv", params={"license": "APACHE-2.0"})
    assert licence.status_code == 200 and licence.headers["x-scope"] == "license:apache-2.0"
    rows = _csv(licence)
    assert [(r["model_id"], r["rule"]) for r in rows] == sorted((r["model_id"], r["rule"]) for r in rows)
    term = await http.get("/api/scopes/conflicts.csv", params={"term": "restriction:military", "severity": "violation"})
    assert term.status_code == 200 and term.headers["x-scope"] == "term:restriction:military"
    assert all(r["severity"] == "violation" for r in _csv(term))


async def test_the_csv_export_refuses_unknown_scopes_and_bad_instants(http: httpx.AsyncClient) -> None:
    for params, status, code in (
        ({"root": "no-such/model"}, 404, "unknown_scope"),
        ({"license": "no-such-licence"}, 404, "unknown_scope"),
        ({"term": "restriction:no-such"}, 404, "unknown_scope"),
        ({}, 422, "invalid_scope"),
        ({"root": LLAMA, "license": "mit"}, 422, "invalid_scope"),
        ({"root": LLAMA, "asOf": "yesterday"}, 422, "invalid_as_of"),
        ({"root": LLAMA, "asOf": (datetime.now(UTC) + timedelta(days=2)).date().isoformat()}, 422, "invalid_as_of"),
        ({"root": LLAMA, "severity": "fatal"}, 422, "invalid_severity"),
    ):
        response = await http.get("/api/scopes/conflicts.csv", params=params)
        assert response.status_code == status, (params, response.text)
        body = response.json()
        assert body["error"] == code and body["message"], params
    example = (await http.get("/api/scopes/conflicts.csv", params={"root": LLAMA, "asOf": "yesterday"})).json()["message"]
    assert "2024-09-01" in example  # the message shows the form it wants


async def test_the_csv_export_as_of_an_instant_is_computed_then(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/scopes/conflicts.csv", params={"root": LLAMA, "asOf": "2024-09-01T23:59:59Z"})
    assert response.status_code == 200, response.text
    models = {r["model_id"] for r in _csv(response)}
    assert models <= {LLAMA, "lineage-fixtures/Llama-3.1-8B-relicensed-ft"}  # the two models known then


async def test_a_scope_over_the_cap_lists_its_first_members_and_says_so(
    http: httpx.AsyncClient, graph: GraphClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.dashboard import conflicts_csv

    whole = await http.get("/api/scopes/conflicts.csv", params={"root": LLAMA})
    size = int(whole.headers["x-scope-models"])
    monkeypatch.setattr(conflicts_csv, "MAX_MEMBERS", 3)
    cut = await http.get("/api/scopes/conflicts.csv", params={"root": LLAMA})
    assert cut.status_code == 200
    assert cut.headers["x-truncated"] == f"first 3 of {size} models (by id)"
    members = await graph.reader.scope_members(root=LLAMA)
    assert members is not None and len(members.members) == size > 3
    first_three = set(sorted(m.id for m in members.members)[:3])
    assert [r for r in _csv(whole) if r["model_id"] in first_three] == _csv(cut)
