"""Safety of the public API: hostile queries refused, arguments checked, internal errors masked, timeouts, CORS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog

from api.settings import ApiSettings
from graph.client import GraphClient
from graph.settings import Neo4jSettings
from tests.support.bundled import BundledGraph
from tests.support.graphql import api_settings, http_client, run_graphql

pytestmark = pytest.mark.integration


def messages(result: Any) -> list[str]:
    return [e.message for e in result.errors or ()]


@pytest.mark.anyio
async def test_a_query_nested_50_deep_is_refused(graph: GraphClient, settings: ApiSettings) -> None:
    inner = "id"
    for _ in range(25):
        inner = f"parents {{ edges {{ parent {{ {inner} }} }} }}"
    result = await run_graphql(graph, f'{{ model(id: "meta-llama/Llama-3.1-8B") {{ {inner} }} }}', settings=settings)
    assert result.data is None
    assert messages(result) == [
        "the query's depth exceeds the limit 10 (at least 11 levels); ask for fewer nested levels"
    ], messages(result)
    assert result.errors[0].extensions == {
        "code": "BAD_USER_INPUT", "limit": "max_query_depth", "measured": 11, "allowed": 10
    }


@pytest.mark.anyio
async def test_a_thousand_aliases_are_refused(graph: GraphClient, settings: ApiSettings) -> None:
    query = "{ " + " ".join(f'a{i}: model(id: "m/{i}") {{ id }}' for i in range(1000)) + " }"
    result = await run_graphql(graph, query, settings=ApiSettings(**{**settings.model_dump(), "max_query_tokens": 100_000}))
    assert result.data is None
    assert messages(result) == [
        "the query's alias count exceeds the limit 30 (at least 31 aliases); ask for fewer aliased fields"
    ]
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


@pytest.mark.anyio
async def test_a_long_document_is_refused_by_the_token_limit(graph: GraphClient, settings: ApiSettings) -> None:
    query = "{ licenses { " + " ".join(["id"] * 5000) + " } }"
    result = await run_graphql(graph, query, settings=settings)
    assert result.data is None
    assert any("token limit" in m.lower() or "tokens" in m.lower() for m in messages(result)), messages(result)


@pytest.mark.anyio
async def test_a_one_megabyte_query_is_refused_before_it_is_read(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, settings: ApiSettings
) -> None:
    query = "{ licenses { id } }" + " " * (1 << 20)
    async with http_client(neo4j_settings, settings) as client:
        answer = await client.post("/graphql", json={"query": query})
        assert answer.status_code == 413
        body = answer.json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert body["errors"][0]["extensions"]["requestId"] == answer.headers["x-request-id"]
        async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted while received
            for _ in range(20):
                yield b"x" * 65_536

        chunked = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        fine = await client.post("/graphql", json={"query": "{ licenses { id } }"}, headers={"X-Request-ID": "caller-chosen-id-1"})
        assert fine.status_code == 200 and fine.headers["x-request-id"] == "caller-chosen-id-1"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('{ models(first: 10000) { totalCount } }', "first must be between 1 and 500"),
        ('{ models(first: 0) { totalCount } }', "first must be between 1 and 500"),
        ('{ roots(first: 501) { totalCount } }', "first must be between 1 and 500"),
        ('{ model(id: "meta-llama/Llama-3.1-8B") { ancestors(maxDepth: 0) { paths } } }', "maxDepth must be between 1 and 32"),
        ('{ model(id: "meta-llama/Llama-3.1-8B") { descendants(first: 501) { totalCount } } }', "first must be between 1 and 500"),
        ('{ model(id: "meta-llama/Llama-3.1-8B") { children(after: "%%%") { totalCount } } }', "after is not a cursor"),
        ('{ models(after: "bm9wZTp4") { totalCount } }', "after is a cursor of another list"),
        ('{ propagation(root: "meta-llama/Llama-3.1-8B") { graph(limit: 0) { truncated } } }', "limit must be between 1 and 5000"),
        ('{ models(relation: SIDEWAYS) { totalCount } }', "SIDEWAYS"),
        ('{ model(id: "x/y", asOf: "yesterday") { id } }', "DateTime"),
    ],
)
async def test_invalid_arguments_say_what_is_wrong(graph: GraphClient, settings: ApiSettings, query: str, expected: str) -> None:
    result = await run_graphql(graph, query, settings=settings)
    found = messages(result)
    assert any(expected in m for m in found), found
    codes = {(e.extensions or {}).get("code") for e in result.errors}
    assert "INTERNAL_SERVER_ERROR" not in codes


@pytest.mark.anyio
async def test_unknown_ids_are_null_without_errors(graph: GraphClient, settings: ApiSettings) -> None:
    result = await run_graphql(graph, """{ model(id: "nobody/nothing") { id } license(id: "nope") { id }
        crawlJob(id: "0123456789abcdef") { id } propagation(root: "nobody/nothing") { scope } }""", settings=settings)
    assert result.errors is None
    assert result.data == {"model": None, "license": None, "crawlJob": None, "propagation": None}


@pytest.mark.anyio
async def test_internal_errors_are_masked_with_the_request_id_and_logged(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.reads.reader import GraphReader

    async def broken(self: GraphReader, *args: Any, **filters: Any) -> Any:
        raise RuntimeError("secret detail: bolt://internal-host:7687 refused")

    monkeypatch.setattr(GraphReader, "search", broken)
    async with http_client(neo4j_settings, settings) as client:
        with structlog.testing.capture_logs() as logs:
            answer = await client.post("/graphql", json={"query": '{ models(search: "x") { totalCount } }'})
    body = answer.json()
    request_id = answer.headers["x-request-id"]
    error = body["errors"][0]
    assert error["message"] == f"Internal server error (request id {request_id})."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "secret detail" not in answer.text
    logged = [e for e in logs if e["event"] == "graphql.internal_error"]
    assert logged and logged[0]["request_id"] == request_id and "secret detail" in logged[0]["error"]


@pytest.mark.anyio
async def test_a_slow_operation_is_stopped_by_the_query_timeout(
    graph: GraphClient, settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def slow(*args: Any, **filters: Any) -> Any:
        await asyncio.sleep(5)

    monkeypatch.setattr(graph.reader, "search", slow)
    quick = ApiSettings(**{**settings.model_dump(), "query_timeout_s": 0.3})
    result = await run_graphql(graph, '{ models(search: "x") { totalCount } }', settings=quick)
    assert result.data is None
    assert result.errors[0].extensions["code"] == "TIMEOUT"
    assert "longer than 0.3s" in result.errors[0].message


@pytest.mark.anyio
async def test_graph_statements_carry_a_server_side_timeout(graph: GraphClient, settings: ApiSettings) -> None:
    from graph.errors import GraphTimeout
    from graph.reads import Query

    def plan() -> Any:
        rows = yield Query("UNWIND range(1, 100000000) AS x WITH x WHERE x % 7 = 3 RETURN count(x) AS n", {})
        return rows

    graph.reader.timeout_s = 0.5
    with pytest.raises(GraphTimeout):
        await graph.reader.run(plan())


@pytest.mark.anyio
async def test_cors_is_configurable(bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str) -> None:
    allowed = api_settings(redis_url, cors_origins=["https://dash.example"])
    async with http_client(neo4j_settings, allowed) as client:
        preflight = await client.options(
            "/graphql",
            headers={"Origin": "https://dash.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers.get("access-control-allow-origin") == "https://dash.example"
        other = await client.options(
            "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert other.headers.get("access-control-allow-origin") is None
