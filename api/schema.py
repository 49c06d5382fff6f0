"""The GraphQL schema: the root types assembled from each domain's resolvers."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from api.context import Context

__all__ = ["schema"]


@strawberry.type
class GraphStats:
    models: int
    derivations: int


@strawberry.type
class Query:
    @strawberry.field(description="Counts of what the graph holds.")
    async def graph_stats(self, info: strawberry.Info[Context, None]) -> GraphStats:
        counts = await info.context.graph.counts()
        return GraphStats(models=counts["models"], derivations=counts["derivations"])


schema = strawberry.Schema(
    query=Query,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxTokensLimiter(max_token_count=4000),
        lambda: MaxAliasesLimiter(max_alias_count=30),
    ],
)
