"""Helpers of the API tests: run GraphQL with the real per-request context, or over HTTP with the real app.

``run_graphql`` executes an operation with ``schema.execute`` and a context built exactly as the
router builds it (fresh DataLoaders, the API key from the headers), against the session's graph.
``http_client`` serves the whole FastAPI app (lifespan included) over an in-process transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from api.app import create_app
from api.context import Context
from api.jobs.service import CrawlService
from api.schema import LineageSchema, create_schema
from api.settings import ApiSettings
from graph.client import GraphClient
from graph.settings import Neo4jSettings

__all__ = ["API_KEY", "DASHBOARD", "api_settings", "http_client", "run_graphql"]

API_KEY = "test-key-3f9a1c-5d2e8b7a40c6e91f3b28d4a7"

# The dashboard's queries, verbatim (api/dashboard/static/app.js sends exactly these).
DASHBOARD = {
    "pickers": "query DashboardPickers($first: Int!) { roots(first: $first) { totalCount edges { descendantCount model { id author status declaredLicenseId conflictState } } } licenses { id family commercial } terms { id kind description } }",
    "propagation": "query DashboardPropagation($root: ID, $license: String, $term: String, $asOf: DateTime, $limit: Int) { propagation(root: $root, license: $license, term: $term, asOf: $asOf) { scope totalModels byDepth { depth count } byRelation { relation count } termFlow { termId kind keep drop violate } topRelicensingPoints { parent { id } child { id } droppedTerms fromLicense toLicense downstreamCount } conflictsByRule { ruleId severity conflicts models } deploymentsReached { id kind modelId operator status url } deploymentsReachedCount graph(limit: $limit) { truncated nodes { id depth licenseId conflictState status } edges { child parent relation } } asOfCoverage { asOf known notYetKnown earliestKnownSince latestKnownSince } } }",
    "model": "query DashboardModel($id: ID!, $asOf: DateTime) { model(id: $id, asOf: $asOf) { id author status declaredLicenseId conflictState knownFrom listedAt crawledAt knownSince commercialStatus { status threshold licenseId reason } conflicts { ruleId severity message path licenses } } }",
    "ruleConflicts": "query DashboardRuleConflicts($root: ID, $license: String, $term: String, $asOf: DateTime, $rule: String, $severity: Severity, $first: Int!, $after: String) { propagation(root: $root, license: $license, term: $term, asOf: $asOf) { conflicts(rule: $rule, severity: $severity, first: $first, after: $after) { totalCount models edges { modelId ruleId severity message } pageInfo { hasNextPage endCursor } } } }",
    "changes": "query DashboardChanges($root: String, $license: String, $term: String, $since: DateTime, $first: Int!, $after: String) { changes(scope: { root: $root, license: $license, term: $term }, since: $since, first: $first, after: $after, newestFirst: true) { edges { cursor node { id kind modelId recordedAt details } } pageInfo { hasNextPage endCursor } } }",
    "search": "query DashboardSearch($search: String!, $first: Int!) { models(search: $search, first: $first) { totalCount edges { id author status declaredLicenseId conflictState } } }",
}


def api_settings(redis_url: str, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {"redis_url": redis_url, "api_keys": [SecretStr(API_KEY)], **overrides}
    return ApiSettings(**values)


async def run_graphql(
    graph: GraphClient,
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    settings: ApiSettings,
    headers: Mapping[str, str] | None = None,
    crawls: CrawlService | None = None,
    schema: LineageSchema | None = None,
) -> Any:
    """Execute with the real context; returns strawberry's ExecutionResult."""
    context = Context.create(
        graph=graph,
        settings=settings,
        crawls=crawls or CrawlService(settings.redis_url),
        headers={k.lower(): v for k, v in (headers or {}).items()},
    )
    schema = schema or _schema(settings)
    return await schema.execute(query, variable_values=dict(variables or {}), context_value=context)


_SCHEMAS: dict[tuple[float, int, int, int], LineageSchema] = {}


def _schema(settings: ApiSettings) -> LineageSchema:
    key = (settings.query_timeout_s, settings.max_query_depth, settings.max_query_tokens, settings.max_query_aliases)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = create_schema(settings)
    return _SCHEMAS[key]


@asynccontextmanager
async def http_client(neo4j: Neo4jSettings, settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, neo4j)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            yield client
