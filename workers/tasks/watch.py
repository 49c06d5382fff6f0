"""Watch tasks: dispatch a batch's changes to the watches, deliver events to webhooks.

* ``lineage.watch.dispatch(batch)`` (maintenance queue) — sent when a crawl or sweep job finishes
  (after its propagation), after a recompute of a registered deployment, after an import: matches
  the batch's change records against every enabled watch (:func:`graph.watches.dispatch.dispatch_batch`),
  stores one event per watch, sends each event with a webhook to delivery, and announces the batch on
  the live feed (:mod:`workers.feed`) for GraphQL subscriptions. Dispatching twice stores nothing twice.
* ``lineage.watch.deliver(event_id, attempt)`` (notify queue) — one attempt (:func:`workers.webhooks.deliver`).
  Delivered: done. 410 Gone: the watch is disabled with the reason. Refused by the target rule: the
  event is parked with the reason. Any other failure: the next attempt is sent after an exponential
  backoff, until ``LINEAGE_WEBHOOK_RETRY_WINDOW_S`` after the first attempt; then the event is parked.
  Every attempt is in the watch's delivery log. ``attempt`` makes a redelivered task message harmless:
  an attempt whose number the log has passed does nothing.
* ``lineage.watch.dispatch_leftovers`` (beat, every minute) — dispatches batches whose dispatch never came and
  resends delivery attempts whose task was lost (both ``LINEAGE_CHANGES_DISPATCH_GRACE_S`` late).
* ``lineage.watch.prune`` (beat, daily) — deletes change records and finished events older than
  ``LINEAGE_CHANGES_RETENTION_DAYS``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import structlog
from celery import Task

from graph.history import from_micros, to_micros
from graph.statements import watches as q
from graph.db import read_query, write_query
from graph.errors import translated
from graph.watches.dispatch import dispatch_batch, undispatched_batches
from graph.watches.settings import WebhookSettings
from graph.watches.store import disable_watch, overdue_events, prune
from workers import feed
from workers.app import app
from workers.context import resources
from workers.contract import TASK_DELIVER, TASK_DISPATCH, TASK_DISPATCH_LEFTOVERS, TASK_PRUNE_CHANGES
from workers.notify import send_dispatch
from workers.queues import Queue
from workers.settings import WorkerSettings
from workers.tasks.base import RETRYABLE, graph_busy_is_transient
from workers.webhooks import Attempt, Outcome, backoff_s, deliver

__all__ = ["deliver_event", "dispatch", "dispatch_leftovers", "prune_changes", "send_dispatch"]

log = structlog.get_logger(__name__)

_RETRIES = WorkerSettings().write_retries
_OPTIONS = {
    "bind": True, "acks_late": True, "ignore_result": True, "autoretry_for": RETRYABLE, "retry_backoff": True,
    "retry_jitter": True, "max_retries": _RETRIES, "retry_backoff_max": WorkerSettings().retry_backoff_max_s,
}
"""Retried on a busy or unreachable graph (a delivery's own failures are retried by scheduling the next attempt)."""


@app.task(name=TASK_DISPATCH, queue=Queue.MAINTENANCE.value, **_OPTIONS)
def dispatch(self: Task, batch: str) -> int:
    """Dispatch ``batch``; returns the events stored."""
    res = resources()
    with graph_busy_is_transient():
        report = dispatch_batch(res.driver(), batch, database=res.neo4j.database)
    for event_id in report.webhook_events:
        deliver_event.apply_async(args=[event_id, 1], queue=Queue.NOTIFY.value)
    if report.dispatched_at is not None:
        try:
            feed.publish(res.redis, feed.Dispatched(batch, to_micros(report.dispatched_at)))
        except Exception as exc:  # noqa: BLE001 - subscriptions are live only; watches got their events
            log.warning("watch.feed_not_published", batch=batch, error=f"{type(exc).__name__}: {exc}")
    log.info("watch.dispatched", batch=batch, changes=report.changes, watches=report.watches,
             events=len(report.events), webhooks=len(report.webhook_events),
             seconds={k: round(v, 3) for k, v in report.seconds_by.items()})
    return len(report.events)


@app.task(name=TASK_DISPATCH_LEFTOVERS, queue=Queue.MAINTENANCE.value, ignore_result=True)
def dispatch_leftovers() -> int:
    """Send the dispatch of every batch with changes undispatched for ``LINEAGE_CHANGES_DISPATCH_GRACE_S``, and
    the next attempt of every event whose attempt is that late (a lost task message); returns what it sent."""
    res = resources()
    grace = res.settings.changes_dispatch_grace_s
    batches = undispatched_batches(res.driver(), res.neo4j.database, older_than_s=grace)
    for batch in batches:
        send_dispatch(batch, res.settings)
    overdue = overdue_events(res.driver(), res.neo4j.database, overdue_s=grace)
    for event_id, attempts in overdue:
        deliver_event.apply_async(args=[event_id, attempts + 1], queue=Queue.NOTIFY.value)
    return len(batches) + len(overdue)


@app.task(name=TASK_PRUNE_CHANGES, queue=Queue.MAINTENANCE.value, ignore_result=True)
def prune_changes() -> None:
    """Delete change records and finished events older than ``LINEAGE_CHANGES_RETENTION_DAYS``."""
    res = resources()
    prune(res.driver(), res.neo4j.database, older_than_days=res.settings.changes_retention_days)


@app.task(name=TASK_DELIVER, queue=Queue.NOTIFY.value, **_OPTIONS)
def deliver_event(self: Task, event_id: str, attempt: int) -> str:
    """One attempt to deliver ``event_id``; returns the event's status after it."""
    res = resources()
    driver, database = res.driver(), res.neo4j.database
    with graph_busy_is_transient(), translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.EVENT_FOR_DELIVERY), {"id": event_id}, database_=database)
    if not rows:
        return "gone"  # the watch (and its events) was deleted
    row = rows[0]
    if row["status"] != "pending" or int(row["attempts"] or 0) != attempt - 1:
        return str(row["status"])  # delivered, parked, or an attempt already made (a redelivered message)
    if row["url"] is None or not row["enabled"]:
        _record(event_id, "parked", "the watch was disabled or has no webhook", None, None)
        return "parked"
    settings = WebhookSettings()
    now = datetime.now(UTC)
    result = deliver(row["url"], event_id, row["body"].encode("utf-8"), row["secret"], settings, now=now)
    first = from_micros(row["first_attempt_at"]) or now
    if result.outcome is Outcome.DELIVERED:
        _record(event_id, "delivered", result.reason, result, None)
        return "delivered"
    if result.outcome is Outcome.GONE:
        reason = f"the webhook answered 410 Gone at {_iso(now)}: the watch is disabled"
        _record(event_id, "parked", reason, result, None)
        disable_watch(driver, database, row["watch_id"], reason)
        return "parked"
    if result.outcome is Outcome.REFUSED:
        _record(event_id, "parked", f"refused: {result.reason}", result, None)
        return "parked"
    wait = backoff_s(attempt, settings)
    if now + timedelta(seconds=wait) > first + timedelta(seconds=settings.retry_window_s):
        reason = f"gave up after {attempt} attempts over {settings.retry_window_s:.0f} s; last: {result.reason}"
        _record(event_id, "parked", reason, result, None)
        return "parked"
    _record(event_id, "pending", result.reason, result, now + timedelta(seconds=wait))
    deliver_event.apply_async(args=[event_id, attempt + 1], queue=Queue.NOTIFY.value, countdown=wait)
    return "pending"


def _record(event_id: str, status: str, reason: str, attempt: Attempt | None, next_at: datetime | None) -> None:
    res = resources()
    driver = res.driver()
    now = datetime.now(UTC)
    entry = json.dumps({
        "at": _iso(now), "outcome": attempt.outcome.name if attempt else "PARKED",
        "status": attempt.status if attempt else None, "reason": reason,
        "seconds": round(attempt.seconds, 3) if attempt else 0.0,
    })
    params = {"id": event_id, "status": status, "reason": reason, "at": to_micros(now), "entry": entry,
              "next": None if next_at is None else to_micros(next_at)}
    with graph_busy_is_transient(), translated():
        driver.execute_query(write_query(driver, q.RECORD_ATTEMPT), params, database_=res.neo4j.database)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
