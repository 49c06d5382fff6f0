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

from datetime import UTC, datetime, timedelta

import structlog
from celery import Task

from graph.history import to_iso, to_micros
from graph.watches.dispatch import dispatch_batch, undispatched_batches
from graph.watches.settings import WebhookSettings
from graph.watches.store import (
    Delivery,
    disable_watch,
    event_for_delivery,
    overdue_events,
    prune,
    record_attempt,
)
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
    with graph_busy_is_transient():
        event = event_for_delivery(driver, database, event_id)
    if event is None:
        return "gone"  # the watch (and its events) was deleted
    if event.status != "pending" or event.attempts != attempt - 1:
        return event.status  # delivered, parked, or an attempt already made (a redelivered message)

    def record(status: str, reason: str, result: Attempt | None = None, next_at: datetime | None = None) -> str:
        logged = Delivery(at=datetime.now(UTC), outcome=result.outcome.name if result else "PARKED",
                          status=result.status if result else None, reason=reason,
                          seconds=result.seconds if result else 0.0)
        with graph_busy_is_transient():
            record_attempt(driver, database, event_id, status=status, attempt=logged, next_at=next_at)
        return status

    if event.url is None or event.secret is None or not event.enabled:
        return record("parked", "the watch was disabled or has no webhook")
    settings = WebhookSettings()
    now = datetime.now(UTC)
    result = deliver(event.url, event_id, event.body.encode("utf-8"), event.secret, settings, now=now)
    if result.outcome is Outcome.DELIVERED:
        return record("delivered", result.reason, result)
    if result.outcome is Outcome.GONE:
        reason = f"the webhook answered 410 Gone at {to_iso(now)}: the watch is disabled"
        record("parked", reason, result)
        if event.watch_id is not None:
            disable_watch(driver, database, event.watch_id, reason)
        return "parked"
    if result.outcome is Outcome.REFUSED:
        return record("parked", f"refused: {result.reason}", result)
    wait = backoff_s(attempt, settings)
    first = event.first_attempt_at or now
    if now + timedelta(seconds=wait) > first + timedelta(seconds=settings.retry_window_s):
        return record("parked", f"gave up after {attempt} attempts over {settings.retry_window_s:.0f} s; "
                                f"last: {result.reason}", result)
    record("pending", result.reason, result, now + timedelta(seconds=wait))
    deliver_event.apply_async(args=[event_id, attempt + 1], queue=Queue.NOTIFY.value, countdown=wait)
    return "pending"
