"""The live feed of dispatched batches (Redis pub/sub): workers publish, the API's subscriptions listen.

A message says which batch was dispatched and when; each GraphQL subscription then matches that
batch's changes against its own scope (:func:`graph.watches.dispatch.events_for`), so a subscriber
gets the same event body a watch of the same scope gets. Pub/sub keeps nothing: a subscriber hears
only what is dispatched while it listens (missed changes are in ``changes(scope, since)``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis

__all__ = ["CHANNEL", "Dispatched", "listen", "publish"]

CHANNEL = "lineage:changes:dispatched"


@dataclass(frozen=True, slots=True)
class Dispatched:
    batch: str
    dispatched_at_us: int


def publish(client: redis.Redis, message: Dispatched) -> None:
    client.publish(CHANNEL, json.dumps({"batch": message.batch, "at": message.dispatched_at_us}))


async def listen(redis_url: str, *, poll_s: float = 1.0, connect_timeout_s: float = 5.0) -> AsyncIterator[Dispatched]:
    """Yield each dispatched batch while the caller listens (it stops by closing the generator)."""
    client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=connect_timeout_s,
                                     socket_timeout=poll_s + connect_timeout_s)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(CHANNEL)
        while True:
            message = await pubsub.get_message(timeout=poll_s)
            if message is None:
                await asyncio.sleep(0)
                continue
            try:
                data = json.loads(message["data"])
                yield Dispatched(str(data["batch"]), int(data["at"]))
            except (ValueError, KeyError, TypeError):
                continue
    finally:
        await pubsub.aclose()
        await client.aclose()
