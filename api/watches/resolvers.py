"""Resolvers of changes and watches: ``changes``, ``watches``, ``watch``, ``createWatch``, ``deleteWatch``
and the ``changes`` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from api.auth import RequireApiKey
from graph.history import to_micros as to_micros_of
from api.pagination import DEFAULT_PAGE, PageInfo, check_first
from api.watches import service
from api.watches.types import (
    Change,
    ChangeConnection,
    ChangeEdge,
    ChangeEvent,
    ChangeKind,
    CreatedWatch,
    Watch,
    WatchScopeInput,
)

__all__ = ["WatchesMutation", "WatchesQuery", "WatchesSubscription"]

Info = strawberry.Info[Any, None]


@strawberry.type
class WatchesQuery:
    @strawberry.field(description=(
        "Change records of a scope (none: every change) recorded since `since` (default: the last 7 days), oldest "
        "first (`newestFirst: true` for a feed). A model scope is the model and everything upstream of it; a root "
        "scope the family at any depth; a licence or term scope the changes that concern it."))
    async def changes(
        self, info: Info, scope: WatchScopeInput | None = None, since: datetime | None = None,
        kinds: list[ChangeKind] | None = None, first: int = DEFAULT_PAGE, after: str | None = None,
        newest_first: bool = False,
    ) -> ChangeConnection:
        check_first(first)
        page = await service.changes_of(info.context, scope, since, kinds or [], first, after, newest_first)
        edges = [ChangeEdge(cursor=service.changes_cursor(newest_first, to_micros_of(c.recorded_at), c.id),
                            node=Change.of(c)) for c in page.changes]
        return ChangeConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges and page.has_next else None))

    @strawberry.field(permission_classes=[RequireApiKey], description="The watches of the API key presented.")
    async def watches(self, info: Info) -> list[Watch]:
        return [Watch.of(w) for w in await service.mine(info.context)]

    @strawberry.field(permission_classes=[RequireApiKey],
                      description="One watch of the API key presented (null: no such watch of this key).")
    async def watch(self, info: Info, id: strawberry.ID) -> Watch | None:  # noqa: A002 - the API's word
        found = await service.mine(info.context, str(id))
        return Watch.of(found[0]) if found else None


@strawberry.type
class WatchesMutation:
    @strawberry.mutation(permission_classes=[RequireApiKey], description=(
        "Watch a scope: each batch of changes that reaches it becomes one event, sent to `webhookUrl` (signed; "
        "docs/webhooks.md) and kept in `watch(id) { deliveries }`. `kinds` narrows what it hears of (default: all). "
        "A webhook URL resolving to a loopback, private or link-local address is refused unless "
        "LINEAGE_WEBHOOK_ALLOWED_TARGETS allows it. The signing secret is in the answer, and only there."))
    async def create_watch(
        self, info: Info, scope: WatchScopeInput, kinds: list[ChangeKind] | None = None, webhook_url: str | None = None,
    ) -> CreatedWatch:
        watch, secret = await service.create(info.context, scope, kinds or [], webhook_url)
        return CreatedWatch(watch=Watch.of(watch), secret=secret)

    @strawberry.mutation(permission_classes=[RequireApiKey],
                         description="Delete a watch of this API key and its events; NOT_FOUND for any other id.")
    async def delete_watch(self, info: Info, id: strawberry.ID) -> bool:  # noqa: A002 - the API's word
        return await service.delete(info.context, str(id))


@strawberry.type
class WatchesSubscription:
    @strawberry.subscription(description=(
        "The events of a scope as batches are dispatched (graphql-transport-ws): the body a watch's webhook gets. "
        "Only what is dispatched while subscribed; earlier changes are in `changes(scope, since)`."))
    async def changes(
        self, info: Info, scope: WatchScopeInput, kinds: list[ChangeKind] | None = None,
    ) -> AsyncGenerator[ChangeEvent, None]:
        async for body in service.subscribe(info.context, scope, kinds or []):
            yield ChangeEvent.of(body)
