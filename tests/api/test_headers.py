"""Security headers and the tooling switches over HTTP, against the real app and stack.

Every response carries ``X-Content-Type-Options: nosniff`` (pages, assets, GraphQL, 404s, 413s and
even the plain 500 of an unhandled error); the GraphiQL page carries its own strict CSP; with
``LINEAGE_GRAPHIQL=0`` and ``LINEAGE_API_DOCS=0`` the IDE and the OpenAPI pages are gone while
GraphQL keeps answering.
"""

from __future__ import annotations

import re

import httpx
import pytest

from api.app import create_app
from api.graphiql import PAGE_SECURITY_POLICY
from api.settings import ApiSettings
from graph.settings import Neo4jSettings
from tests.support.graphql import http_client

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TYPENAME = {"data": {"__typename": "Query"}}


def _nosniff(response: httpx.Response) -> bool:
    return response.headers.get("x-content-type-options") == "nosniff"


def _csp(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers.get("content-security-policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


async def test_every_kind_of_response_says_nosniff(neo4j_uri: str, redis_url: str) -> None:
    async with http_client(Neo4jSettings(uri=neo4j_uri), ApiSettings(redis_url=redis_url)) as client:
        dashboard = await client.get("/")
        asset = re.search(r'src="(static/app\.js\?v=[0-9a-f]+)"', dashboard.text)
        assert asset is not None
        responses = {
            "healthz": await client.get("/healthz"),
            "dashboard": dashboard,
            "dashboard asset": await client.get("/" + asset.group(1)),
            "graphql POST": await client.post("/graphql", json={"query": "{ __typename }"}),
            "graphql GET": await client.get("/graphql", params={"query": "{ __typename }"}),
            "graphql 400": await client.post("/graphql", content=b"[]", headers={"Content-Type": "application/json"}),
            "graphql 413": await client.post("/graphql", content=b"x" * 70_000, headers={"Content-Type": "application/json"}),
            "graphiql": await client.get("/graphql", headers=BROWSER),
            "graphiql asset": await client.get("/graphiql/static/graphiql.js"),
            "metrics": await client.get("/metrics"),
            "unknown path": await client.get("/no/such/page"),
            "missing asset": await client.get("/static/nothing.js"),
            "wrong method": await client.delete("/healthz"),
        }
        assert responses["graphql POST"].json() == TYPENAME
        assert responses["graphql GET"].json() == TYPENAME
        assert [responses[name].status_code for name in ("graphql 400", "graphql 413", "unknown path", "wrong method")] == [
            400, 413, 404, 405
        ]
        assert {name: r.status_code for name, r in responses.items() if not _nosniff(r)} == {}
        # one header, not a second copy next to the one the dashboard routes already set
        assert responses["dashboard asset"].headers.get_list("x-content-type-options") == ["nosniff"]


async def test_an_unhandled_error_still_says_nosniff(neo4j_uri: str, redis_url: str) -> None:
    app = create_app(ApiSettings(redis_url=redis_url), Neo4jSettings(uri=neo4j_uri))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # the route needs no lifespan
    async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
        answer = await client.get("/boom")
    assert answer.status_code == 500
    assert _nosniff(answer)


async def test_graphiql_is_served_to_browsers_under_a_strict_policy(neo4j_uri: str, redis_url: str) -> None:
    async with http_client(Neo4jSettings(uri=neo4j_uri), ApiSettings(redis_url=redis_url)) as client:
        page = await client.get("/graphql", headers=BROWSER)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'id="graphiql"' in page.text
        same = await client.get("/graphiql")
        assert same.text == page.text
        assert page.headers["content-security-policy"] == PAGE_SECURITY_POLICY
        policy = _csp(page)
        assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
        assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "<script>" not in page.text and "unpkg" not in page.text and "cdn" not in page.text.lower()
        # a JSON client on the same URL still talks GraphQL, never the IDE
        assert (await client.get("/graphql", params={"query": "{ __typename }"}, headers=BROWSER)).json() == TYPENAME
        assert (await client.get("/graphql", headers={"Accept": "application/json"})).status_code != 200


async def test_the_docs_are_served_by_default(neo4j_uri: str, redis_url: str) -> None:
    app = create_app(ApiSettings(redis_url=redis_url), Neo4jSettings(uri=neo4j_uri))
    transport = httpx.ASGITransport(app=app)  # the docs need no lifespan
    async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            answer = await client.get(path)
            assert answer.status_code == 200 and _nosniff(answer), path


async def test_graphiql_and_docs_switch_off_and_graphql_keeps_answering(
    neo4j_uri: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAGE_GRAPHIQL", "0")
    monkeypatch.setenv("LINEAGE_API_DOCS", "0")
    settings = ApiSettings(redis_url=redis_url)
    assert not settings.graphiql and not settings.api_docs
    async with http_client(Neo4jSettings(uri=neo4j_uri), settings) as client:
        ide = await client.get("/graphql", headers=BROWSER)
        assert ide.status_code == 404 and "graphiql" not in ide.text.lower()
        for path in ("/graphiql", "/graphiql/static/graphiql.js", "/docs", "/redoc", "/openapi.json"):
            gone = await client.get(path, headers=BROWSER)
            assert gone.status_code == 404, path
            assert _nosniff(gone)
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == TYPENAME
        assert (await client.get("/graphql", params={"query": "{ __typename }"})).json() == TYPENAME
