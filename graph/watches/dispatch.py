"""Dispatch a batch: match its changes against every watch, store one event per watch that hears of it.

:func:`dispatch_batch` reads the batch's undispatched changes, the enabled watches, the changed
models' ancestors and the watched models' ancestors (the ancestry index), matches
(:mod:`graph.watches.matching`), finds the paths the events show, then stores the events and marks
the changes dispatched. Event ids are digests of (watch, batch, changes), so dispatching the same
changes again stores nothing new. :func:`events_for` does the same for any subscribers (GraphQL
subscriptions) without storing anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver

from graph.changes.kinds import Change
from graph.changes.read import batch_changes
from graph.db import read_query, write_query
from graph.errors import translated
from graph.history import to_micros
from graph.statements import changes as cq
from graph.statements import watches as q
from graph.watches.events import Pair, build_event, in_event_order, path_pairs
from graph.watches.matching import SubscriberIndex, match
from graph.watches.scope import ScopeKind, Subscriber
from graph.watches.store import active_subscribers

__all__ = ["DispatchReport", "dispatch_batch", "events_for", "undispatched_batches"]

_CHUNK = 5000


@dataclass(slots=True)
class DispatchReport:
    batch: str
    changes: int = 0
    watches: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # the bodies of the events stored now
    webhook_events: list[str] = field(default_factory=list)  # ids of those to deliver to a webhook
    dispatched_at: datetime | None = None
    seconds_by: dict[str, float] = field(default_factory=dict)


def _read(driver: Driver, database: str | None, statement: str, params: dict[str, Any]) -> list[Any]:
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, statement), params, database_=database)
    return list(rows)


def ancestors_of(driver: Driver, database: str | None, ids: Iterable[str]) -> dict[str, list[str]]:
    """Each model's ancestors through the ancestry index (models without any are left out)."""
    ordered = sorted(set(ids))
    found: dict[str, list[str]] = {}
    for start in range(0, len(ordered), _CHUNK):
        for row in _read(driver, database, q.ANCESTORS, {"ids": ordered[start : start + _CHUNK]}):
            found[row["id"]] = list(row["ancestors"])
    return found


def paths_of(driver: Driver, database: str | None, pairs: Iterable[Pair]) -> dict[Pair, list[str]]:
    wanted = sorted(set(pairs))
    found: dict[Pair, list[str]] = {}
    for start in range(0, len(wanted), 500):
        rows = _read(driver, database, q.PATHS, {"pairs": [list(p) for p in wanted[start : start + 500]]})
        for row in rows:
            if row["models"]:
                found[(row["descendant"], row["ancestor"])] = list(row["models"])
    return found


def events_for(
    driver: Driver, database: str | None, subscribers: Sequence[Subscriber], changes: Sequence[Change], batch: str,
    *, watch_ids: bool, timings: dict[str, float] | None = None,
) -> list[tuple[Subscriber, dict[str, Any]]]:
    """One event body per subscriber that hears of ``changes`` (nothing stored)."""
    timings = {} if timings is None else timings
    if not changes or not subscribers:
        return []
    began = time.perf_counter()
    index = SubscriberIndex.of(subscribers)
    ancestors = ancestors_of(driver, database, {c.model_id for c in changes})
    watched = ancestors_of(driver, database, index.ids(ScopeKind.MODEL))
    timings["ancestry"] = time.perf_counter() - began
    began = time.perf_counter()
    matched = match(in_event_order(changes), index, ancestors, watched)
    timings["match"] = time.perf_counter() - began
    began = time.perf_counter()
    pairs = [pair for m in matched.values() for pair in path_pairs(m.subscriber, m.changes)]
    paths = paths_of(driver, database, pairs)
    now = datetime.now(UTC)
    out = [(m.subscriber, build_event(m.subscriber, batch, m.changes, paths, created_at=now,
                                      watch_id=m.subscriber.key if watch_ids else None))
           for m in matched.values()]
    timings["events"] = time.perf_counter() - began
    return out


def dispatch_batch(driver: Driver, batch: str, *, database: str | None = None) -> DispatchReport:
    """Match the batch's undispatched changes against every enabled watch; store the events; mark the changes."""
    report = DispatchReport(batch)
    began = time.perf_counter()
    changes = batch_changes(driver, database, batch)
    report.changes = len(changes)
    report.seconds_by["read"] = time.perf_counter() - began
    if not changes:
        return report
    subscribers, webhooks = active_subscribers(driver, database)
    report.watches = len(subscribers)
    events = events_for(driver, database, subscribers, changes, batch, watch_ids=True, timings=report.seconds_by)
    began = time.perf_counter()
    at = datetime.now(UTC)
    rows = [{"id": body["id"], "watch_id": sub.key, "batch": batch, "at": to_micros(at),
             "body": json.dumps(body, separators=(",", ":")), "webhook": sub.key in webhooks}
            for sub, body in events]
    bodies = {body["id"]: body for _, body in events}
    with translated():
        for start in range(0, len(rows), _CHUNK):
            stored, _, _ = driver.execute_query(write_query(driver, q.CREATE_EVENTS), {"rows": rows[start : start + _CHUNK]},
                                                database_=database)
            for row in stored:
                if row["created"]:
                    report.events.append(bodies[row["id"]])
                    if row["watch_id"] in webhooks:
                        report.webhook_events.append(row["id"])
        ids = [c.id for c in changes]
        for start in range(0, len(ids), _CHUNK):
            driver.execute_query(write_query(driver, cq.MARK_DISPATCHED),
                                 {"ids": ids[start : start + _CHUNK], "at": to_micros(at)}, database_=database)
    report.dispatched_at = at
    report.seconds_by["store"] = time.perf_counter() - began
    return report


def undispatched_batches(driver: Driver, database: str | None, *, older_than_s: float, limit: int = 100) -> list[str]:
    """Batches with changes left undispatched for longer than ``older_than_s`` (their dispatch never came)."""
    before = to_micros(datetime.now(UTC)) - int(older_than_s * 1_000_000)
    return [r["batch"] for r in _read(driver, database, cq.UNDISPATCHED_BATCHES, {"before": before, "limit": limit})]
