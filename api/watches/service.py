"""Changes and watches for the resolvers: scopes resolved and checked, graph calls run in a thread.

A scope argument names exactly one of model, root (a current or old id), license (id or alias, any
case) or term; an unknown one is the NOT_FOUND error of every argument that connects
(:class:`api.errors.UnknownId`). Watches belong to the API key that made them: another key's watch
is answered as unknown, never shown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from api.context import Context
from api.errors import BadUserInput, UnknownId
from api.licenses.service import license_argument
from api.pagination import decode_key_cursor, encode_key_cursor
from graph.changes.kinds import ChangeKind
from graph.changes.read import ChangePage, dispatched_changes, scope_changes
from graph.watches.dispatch import events_for
from graph.watches.scope import Scope, ScopeKind, Subscriber
from graph.watches.settings import WebhookSettings
from graph.watches.store import (
    EventRecord,
    Watch,
    WatchLimitReached,
    create_watch,
    delete_watch,
    owner_watches,
    watch_events,
)
from graph.watches.targets import WebhookTargetRefused, check_webhook_url, new_secret
from workers import feed

__all__ = [
    "CHANGES_CURSOR", "EVENTS_CURSOR", "changes_cursor", "SubscriptionLimit", "changes_of", "create", "delete", "events_of", "mine",
    "resolve_scope", "subscribe",
]

CHANGES_CURSOR = "changes"
EVENTS_CURSOR = "events"
DEFAULT_SINCE = timedelta(days=7)


async def resolve_scope(ctx: Context, scope: Any) -> Scope:
    """The scope an input names (exactly one of model, root, license, term), with its canonical id."""
    given = {kind: getattr(scope, kind.value) for kind in ScopeKind if getattr(scope, kind.value) is not None}
    if len(given) != 1:
        raise BadUserInput("scope takes exactly one of model, root, license or term", argument="scope")
    [(kind, value)] = given.items()
    argument = f"scope.{kind.value}"
    if kind in (ScopeKind.MODEL, ScopeKind.ROOT):
        facts = await ctx.graph.reader.facts([value])
        if value not in facts:
            raise UnknownId(f"{argument} {value!r} is not a model Lineage knows", argument=argument, id=value)
        return Scope(kind, facts[value].id)
    catalog = ctx.graph.reader.catalog
    if kind is ScopeKind.LICENSE:
        return Scope(kind, license_argument(catalog, value, argument=argument))
    if value not in catalog.all_terms:
        raise UnknownId(f"{argument} {value!r} is not a term Lineage knows; `terms {{ id }}` lists them",
                        argument=argument, id=value)
    return Scope(kind, value)


async def changes_of(ctx: Context, scope: Any | None, since: datetime | None, kinds: Sequence[ChangeKind],
                     first: int, after: str | None, newest_first: bool = False) -> ChangePage:
    """A scope's changes (None: every change) recorded since ``since`` (default: the last 7 days), oldest first."""
    resolved = None if scope is None else await resolve_scope(ctx, scope)
    since = since or datetime.now(UTC) - DEFAULT_SINCE
    key = decode_key_cursor(CHANGES_CURSOR, _order(newest_first), after)
    position = None if key is None else (int(key[0]), key[1])
    ctx.not_cacheable()  # changes arrive without moving what the response cache keys on for reads of the past

    def work(driver: Any, database: str) -> ChangePage:
        return scope_changes(driver, database, resolved.kind.value if resolved else "all", resolved.id if resolved else None,
                             since=since, kinds=kinds, first=first, after=position, newest_first=newest_first)

    return await ctx.graph.in_thread(work)


def _order(newest_first: bool) -> str:
    """The name of a changes order in its cursors (a cursor of one order is refused by the other)."""
    return "newest" if newest_first else "oldest"


def changes_cursor(newest_first: bool, recorded_at_us: int, change_id: str) -> str:
    return encode_key_cursor(CHANGES_CURSOR, _order(newest_first), (recorded_at_us, change_id))


def _owner(ctx: Context) -> str:
    if ctx.owner is None:  # RequireApiKey runs first; this is the belt to its braces
        raise BadUserInput("watches need an API key", argument="authorization")
    return ctx.owner


async def create(ctx: Context, scope: Any, kinds: Sequence[ChangeKind], webhook_url: str | None) -> tuple[Watch, str | None]:
    """Make a watch of the caller's key; the webhook URL must pass the target rule (no private or loopback
    address unless allowed); returns the watch and its signing secret (None without a webhook)."""
    owner = _owner(ctx)
    resolved = await resolve_scope(ctx, scope)
    settings = WebhookSettings()
    if webhook_url is not None:
        try:
            await asyncio.to_thread(check_webhook_url, webhook_url, settings.policy())
        except WebhookTargetRefused as exc:
            raise BadUserInput(str(exc), argument="webhookUrl") from exc
    secret = new_secret() if webhook_url is not None else None
    ctx.not_cacheable()

    def work(driver: Any, database: str) -> Watch:
        return create_watch(driver, database, owner=owner, scope=resolved, kinds=kinds, webhook_url=webhook_url,
                            secret=secret, limit=ctx.settings.max_watches_per_key)

    try:
        return await ctx.graph.in_thread(work), secret
    except WatchLimitReached as exc:
        raise BadUserInput(str(exc), argument="scope") from exc


async def mine(ctx: Context, watch_id: str | None = None) -> list[Watch]:
    owner = _owner(ctx)
    ctx.not_cacheable()
    return await ctx.graph.in_thread(lambda driver, database: owner_watches(driver, database, owner, watch_id))


async def delete(ctx: Context, watch_id: str) -> bool:
    owner = _owner(ctx)
    ctx.not_cacheable()
    deleted = await ctx.graph.in_thread(lambda driver, database: delete_watch(driver, database, owner, watch_id))
    if not deleted:
        raise UnknownId(f"id {watch_id!r} is not a watch of this API key", argument="id", id=watch_id)
    return True


async def events_of(ctx: Context, watch: Watch, first: int, after: str | None) -> list[EventRecord]:
    key = decode_key_cursor(EVENTS_CURSOR, "created", after)
    position = None if key is None else (int(key[0]), key[1])
    return await ctx.graph.in_thread(
        lambda driver, database: watch_events(driver, database, watch.id, first=first + 1, after=position))


class SubscriptionLimit:
    """How many subscriptions this process serves at once."""

    active = 0


async def subscribe(ctx: Context, scope: Any, kinds: Sequence[ChangeKind]) -> AsyncIterator[dict[str, Any]]:
    """Each dispatched batch's event for this scope, while the client listens (the body a watch's webhook gets)."""
    resolved = await resolve_scope(ctx, scope)
    limit = ctx.settings.max_subscriptions
    if SubscriptionLimit.active >= limit:
        raise BadUserInput(f"this server serves at most {limit} subscriptions at once; try again later",
                           argument="scope")
    SubscriptionLimit.active += 1
    subscriber = Subscriber("subscription", resolved, frozenset(kinds))
    listening = feed.listen(ctx.settings.redis_url)
    try:
        async for dispatched in listening:
            def work(driver: Any, database: str, d: feed.Dispatched = dispatched) -> list[dict[str, Any]]:
                changes = dispatched_changes(driver, database, d.batch, d.dispatched_at_us)
                return [body for _, body in events_for(driver, database, [subscriber], changes, d.batch, watch_ids=False)]

            for body in await ctx.graph.in_thread(work):
                yield body
    finally:
        SubscriptionLimit.active -= 1
        with contextlib.suppress(Exception):
            await listening.aclose()
