"""Watches and their events in the graph: create, list, delete, disable; events and their delivery log.

A watch belongs to the API key that made it (``owner``: the key's SHA-256, never the key): each key
sees and deletes only its own. Its webhook secret is stored to sign deliveries and shown once, when
the watch is made.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver

from graph.changes.kinds import ChangeKind
from graph.db import bulk_query, read_query, write_query
from graph.errors import translated
from graph.history import from_micros, to_iso, to_micros
from graph.statements import watches as q
from graph.watches.scope import Scope, ScopeKind, Subscriber

__all__ = [
    "Delivery",
    "EventRecord",
    "Watch",
    "WatchLimitReached",
    "PendingEvent",
    "create_watch",
    "delete_watch",
    "disable_watch",
    "event_for_delivery",
    "owner_of",
    "overdue_events",
    "owner_watches",
    "prune",
    "record_attempt",
    "active_subscribers",
    "watch_events",
]


class WatchLimitReached(ValueError):
    """The key already has as many watches as it may."""


def owner_of(api_key: str) -> str:
    """Who owns a watch: the SHA-256 of the API key that made it."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Watch:
    id: str
    owner: str
    scope: Scope
    kinds: frozenset[ChangeKind]
    webhook_url: str | None
    created_at: datetime
    enabled: bool
    disabled_reason: str | None = None
    disabled_at: datetime | None = None

    def subscriber(self) -> Subscriber:
        return Subscriber(self.id, self.scope, self.kinds)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver an event to a webhook."""

    at: datetime
    outcome: str  # DELIVERED | RETRY | GONE | REFUSED
    status: int | None
    reason: str
    seconds: float


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event of a watch with its delivery state (``stored``: the watch has no webhook)."""

    id: str
    created_at: datetime
    status: str  # stored | pending | delivered | parked
    attempts: int
    reason: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    log: tuple[Delivery, ...]
    body: dict[str, Any]


def _watch(row: Any) -> Watch:
    return Watch(
        id=row["id"], owner=row["owner"], scope=Scope(ScopeKind(row["scope_kind"]), row["scope_id"]),
        kinds=frozenset(ChangeKind(k) for k in row["kinds"] or ()), webhook_url=row["webhook_url"],
        created_at=from_micros(row["created_at"]) or datetime.now(UTC), enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"], disabled_at=from_micros(row["disabled_at"]),
    )


def create_watch(
    driver: Driver, database: str | None, *, owner: str, scope: Scope, kinds: Sequence[ChangeKind],
    webhook_url: str | None, secret: str | None, limit: int,
) -> Watch:
    """Store a new watch of ``owner``; raises :class:`WatchLimitReached` beyond ``limit`` watches per owner."""
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.OWNER_WATCH_COUNT), {"owner": owner}, database_=database)
        if rows and int(rows[0]["n"]) >= limit:
            raise WatchLimitReached(f"this API key already has {limit} watches (the most one key may have); "
                                    "delete one first")
        params = {
            "id": "w_" + secrets.token_hex(12), "owner": owner, "scope_kind": scope.kind.value, "scope_id": scope.id,
            "kinds": sorted(k.value for k in kinds), "webhook_url": webhook_url, "secret": secret,
            "at": to_micros(datetime.now(UTC)),
        }
        rows, _, _ = driver.execute_query(write_query(driver, q.CREATE_WATCH), params, database_=database)
    return _watch(rows[0])


def owner_watches(driver: Driver, database: str | None, owner: str, watch_id: str | None = None) -> list[Watch]:
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.OWNER_WATCHES), {"owner": owner, "id": watch_id},
                                          database_=database)
    return [_watch(r) for r in rows]


def delete_watch(driver: Driver, database: str | None, owner: str, watch_id: str) -> bool:
    """Delete one of ``owner``'s watches and its events; False when it has no such watch."""
    with translated():
        rows, _, _ = driver.execute_query(write_query(driver, q.DELETE_WATCH), {"owner": owner, "id": watch_id},
                                          database_=database)
    return bool(rows) and int(rows[0]["deleted"]) > 0


def disable_watch(driver: Driver, database: str | None, watch_id: str, reason: str) -> None:
    with translated():
        driver.execute_query(write_query(driver, q.DISABLE_WATCH),
                             {"id": watch_id, "reason": reason, "at": to_micros(datetime.now(UTC))}, database_=database)


def active_subscribers(driver: Driver, database: str | None) -> tuple[list[Subscriber], set[str]]:
    """Every enabled watch as a subscriber, and the ids of those with a webhook."""
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.ACTIVE_WATCHES), database_=database)
    subs = [Subscriber(r["id"], Scope(ScopeKind(r["scope_kind"]), r["scope_id"]),
                       frozenset(ChangeKind(k) for k in r["kinds"] or ())) for r in rows]
    return subs, {r["id"] for r in rows if r["webhook"]}


def watch_events(driver: Driver, database: str | None, watch_id: str, *, first: int,
                 after: tuple[int, str] | None = None) -> list[EventRecord]:
    """The watch's events, newest first (``after``: the (created_at µs, id) of the last one seen)."""
    params = {"watch_id": watch_id, "limit": first, "after_at": after[0] if after else None,
              "after_id": after[1] if after else None}
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.WATCH_EVENTS), params, database_=database)
    return [EventRecord(
        id=r["id"], created_at=from_micros(r["created_at"]) or datetime.now(UTC), status=r["status"],
        attempts=int(r["attempts"] or 0), reason=r["reason"], last_attempt_at=from_micros(r["last_attempt_at"]),
        delivered_at=from_micros(r["delivered_at"]), next_attempt_at=from_micros(r["next_attempt_at"]),
        log=tuple(_delivery(json.loads(entry)) for entry in r["attempt_log"] or ()), body=json.loads(r["body"]),
    ) for r in rows]


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event as a delivery attempt needs it, with its watch's webhook (url None: the watch is gone or has none)."""

    id: str
    body: str
    status: str
    attempts: int
    first_attempt_at: datetime | None
    watch_id: str | None
    url: str | None
    secret: str | None
    enabled: bool


def event_for_delivery(driver: Driver, database: str | None, event_id: str) -> PendingEvent | None:
    """The event and its watch's webhook (None: the event was deleted with its watch)."""
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.EVENT_FOR_DELIVERY), {"id": event_id},
                                          database_=database)
    if not rows:
        return None
    r = rows[0]
    return PendingEvent(id=event_id, body=r["body"], status=r["status"], attempts=int(r["attempts"] or 0),
                        first_attempt_at=from_micros(r["first_attempt_at"]), watch_id=r["watch_id"], url=r["url"],
                        secret=r["secret"], enabled=bool(r["enabled"]))


def record_attempt(driver: Driver, database: str | None, event_id: str, *, status: str, attempt: Delivery,
                   next_at: datetime | None) -> None:
    """Log one attempt (the last 50 are kept) and set the event's status: pending (retried at ``next_at``),
    delivered or parked (``attempt.reason`` says why)."""
    entry = json.dumps({"at": to_iso(attempt.at), "outcome": attempt.outcome, "status": attempt.status,
                        "reason": attempt.reason, "seconds": round(attempt.seconds, 3)})
    params = {"id": event_id, "status": status, "reason": attempt.reason, "at": to_micros(attempt.at),
              "entry": entry, "next": None if next_at is None else to_micros(next_at)}
    with translated():
        driver.execute_query(write_query(driver, q.RECORD_ATTEMPT), params, database_=database)


def overdue_events(driver: Driver, database: str | None, *, overdue_s: float, limit: int = 1000) -> list[tuple[str, int]]:
    """Pending events whose next attempt is ``overdue_s`` late (its task was lost): (id, attempts made)."""
    before = to_micros(datetime.now(UTC)) - int(overdue_s * 1_000_000)
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.OVERDUE_EVENTS), {"before": before, "limit": limit},
                                          database_=database)
    return [(r["id"], int(r["attempts"])) for r in rows]


def prune(driver: Driver, database: str | None, *, older_than_days: float) -> None:
    """Delete change records and finished events older than the retention (whole-graph work, in transactions)."""
    before = to_micros(datetime.now(UTC)) - int(older_than_days * 86_400 * 1_000_000)
    with translated(), driver.session(database=database) as session:  # CALL … IN TRANSACTIONS: auto-commit runs
        session.run(bulk_query(driver, q.PRUNE_CHANGES), {"before": before}).consume()
        session.run(bulk_query(driver, q.PRUNE_EVENTS), {"before": before}).consume()


def _delivery(entry: dict[str, Any]) -> Delivery:
    return Delivery(at=datetime.fromisoformat(entry["at"]), outcome=entry["outcome"], status=entry.get("status"),
                    reason=entry.get("reason", ""), seconds=float(entry.get("seconds", 0.0)))
