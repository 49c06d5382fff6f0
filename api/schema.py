"""The GraphQL schema: root types assembled from each domain's resolvers, with the safety extensions.

Safety, all configurable through :class:`api.settings.ApiSettings`:

* a token limit (strawberry's ``MaxTokensLimiter``: the lexer stops at the limit), then the query
  budget (:mod:`api.query_budget`: depth, fields, aliases, repeated fields and cost, each fragment
  measured once), checked before any validation rule runs. Strawberry's depth and alias rules
  (``QueryDepthLimiter``, ``MaxAliasesLimiter``) are deliberately not used: they re-walk a fragment at
  every spread, in time exponential in the fragment nesting (see :mod:`api.query_budget`);
* a timeout on every operation (:class:`LineageSchema`), besides the server-side timeout of each
  graph statement;
* internal errors masked to a stable message carrying the request id (:class:`api.errors.MaskInternalErrors`)
  and logged with the real error under that id;
* parse and validation caches (:class:`api.query_budget.DocumentCache`), so a repeated document is
  parsed and validated once; only small documents are cached and the caches are capped.

The request body size limit is enforced before GraphQL sees the request (api.graphql).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from api.deployments.resolvers import DeploymentsMutation
from api.errors import MaskInternalErrors, QueryTimeout, log_internal_errors
from api.jobs.resolvers import JobsMutation, JobsQuery
from api.licenses.resolvers import LicensesQuery
from api.lineage.resolvers import LineageQuery
from api.propagation.resolvers import PropagationQuery
from api.watches.resolvers import WatchesMutation, WatchesQuery, WatchesSubscription
from api.query_budget import DocumentCache, QueryBudget, QueryLimits
from api.scalars import SCALAR_MAP
from api.settings import ApiSettings
from terms import deadline

__all__ = ["LineageSchema", "Mutation", "Query", "create_schema", "schema"]


@strawberry.type(description="Lineage of open-weight models: facts, evidence, and how licences and duties propagate.")
class Query(LineageQuery, PropagationQuery, LicensesQuery, JobsQuery, WatchesQuery):
    pass


@strawberry.type(description="Changes; each needs an API key (`Authorization: Bearer <key>` or `X-API-Key`).")
class Mutation(JobsMutation, DeploymentsMutation, WatchesMutation):
    pass


@strawberry.type(description="Live events (graphql-transport-ws on /graphql).")
class Subscription(WatchesSubscription):
    pass


class LineageSchema(strawberry.Schema):
    """A schema whose operations stop after ``timeout_s`` and whose internal errors are logged once."""

    def __init__(self, *args: Any, timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout_s = timeout_s

    async def execute(self, query: str | None, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:  # the deadline follows the operation into worker threads and stops their loops
            with deadline.within(self.timeout_s):
                async with asyncio.timeout(self.timeout_s):
                    return await super().execute(query, *args, **kwargs)
        except TimeoutError:
            message = f"the operation ran longer than {self.timeout_s:g}s and was stopped; narrow the query"
            return ExecutionResult(data=None, errors=[QueryTimeout(message)])

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_internal_errors(errors, None if execution_context is None else execution_context.context)


def _extensions(settings: ApiSettings) -> Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    # Order matters: the budget's on_validate runs first and, when it refuses, the cache and
    # strawberry skip validation. Do not add strawberry's QueryDepthLimiter/MaxAliasesLimiter rules
    # back: their fragment walks are exponential (api.query_budget explains).
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
        partial(QueryBudget, limits=QueryLimits.from_settings(settings)),
        DocumentCache(),
        MaskInternalErrors,
    ]


def create_schema(settings: ApiSettings | None = None) -> LineageSchema:
    """The schema with the limits of ``settings`` (default: from the environment)."""
    settings = settings or ApiSettings()
    return LineageSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=list(_extensions(settings)),
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        timeout_s=settings.query_timeout_s,
    )


schema = create_schema()
