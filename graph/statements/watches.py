"""Statements of watches, their events and delivery log, and of the lookups matching needs."""

from __future__ import annotations

from graph.statements.reads import US
from graph.statements.write import DT

__all__ = [
    "ACTIVE_WATCHES",
    "ANCESTORS",
    "CREATE_EVENTS",
    "CREATE_WATCH",
    "DELETE_WATCH",
    "DISABLE_WATCH",
    "EVENT_FOR_DELIVERY",
    "OWNER_WATCH_COUNT",
    "OVERDUE_EVENTS",
    "OWNER_WATCHES",
    "PRUNE_CHANGES",
    "PRUNE_EVENTS",
    "PATHS",
    "RECORD_ATTEMPT",
    "WATCH_COLUMNS",
    "WATCH_EVENTS",
]

WATCH_COLUMNS = """w.id AS id, w.owner AS owner, w.scope_kind AS scope_kind, w.scope_id AS scope_id, w.kinds AS kinds,
  w.webhook_url AS webhook_url, """ + US("w.created_at") + """ AS created_at, w.enabled AS enabled,
  w.disabled_reason AS disabled_reason, """ + US("w.disabled_at") + """ AS disabled_at"""

CREATE_WATCH = """
CREATE (w:Watch {id: $id})
SET w.owner = $owner, w.scope_kind = $scope_kind, w.scope_id = $scope_id, w.kinds = $kinds,
    w.webhook_url = $webhook_url, w.secret = $secret, w.created_at = """ + DT("$at") + """, w.enabled = true
RETURN """ + WATCH_COLUMNS

OWNER_WATCH_COUNT = "MATCH (w:Watch {owner: $owner}) RETURN count(w) AS n"

# One owner's watches ($id null: all of them), oldest first.
OWNER_WATCHES = """
MATCH (w:Watch {owner: $owner})
WHERE $id IS NULL OR w.id = $id
RETURN """ + WATCH_COLUMNS + """
ORDER BY w.created_at, w.id
"""

DELETE_WATCH = """
MATCH (w:Watch {id: $id, owner: $owner})
OPTIONAL MATCH (e:Event {watch_id: w.id})
WITH w, collect(e) AS events
FOREACH (e IN events | DELETE e)
DELETE w
RETURN count(*) AS deleted
"""

ACTIVE_WATCHES = """
MATCH (w:Watch) WHERE w.enabled
RETURN w.id AS id, w.scope_kind AS scope_kind, w.scope_id AS scope_id, w.kinds AS kinds,
       w.webhook_url IS NOT NULL AS webhook
"""

DISABLE_WATCH = """
MATCH (w:Watch {id: $id})
SET w.enabled = false, w.disabled_reason = $reason, w.disabled_at = """ + DT("$at") + """
"""

# The ancestors of each of $ids (ancestry index: open derivations, any depth).
ANCESTORS = """
UNWIND $ids AS id
MATCH (:Model {id: id})-[:HAS_ANCESTOR]->(a:Model)
RETURN id, collect(a.id) AS ancestors
"""

# The shortest path of open derivations from each pair's descendant up to its ancestor.
PATHS = """
UNWIND $pairs AS pair
MATCH (d:Model {id: pair[0]}), (a:Model {id: pair[1]})
OPTIONAL MATCH p = shortestPath((d)-[:DERIVED_FROM*..64]->(a))
WHERE all(r IN relationships(p) WHERE r.valid_to IS NULL)
RETURN pair[0] AS descendant, pair[1] AS ancestor, [n IN nodes(p) | n.id] AS models
"""

# $rows: {id, watch_id, batch, at, body, webhook}; an event made before (the same changes) is kept as it was.
CREATE_EVENTS = """
UNWIND $rows AS row
MERGE (e:Event {id: row.id})
ON CREATE SET e.watch_id = row.watch_id, e.batch = row.batch, e.created_at = """ + DT("row.at") + """,
              e.body = row.body, e.status = CASE WHEN row.webhook THEN 'pending' ELSE 'stored' END,
              e.attempts = 0, e.attempt_log = [], e.new = true
WITH e, coalesce(e.new, false) AS created
REMOVE e.new
RETURN e.id AS id, e.watch_id AS watch_id, created
"""

EVENT_FOR_DELIVERY = """
MATCH (e:Event {id: $id})
OPTIONAL MATCH (w:Watch {id: e.watch_id})
RETURN e.body AS body, e.status AS status, e.attempts AS attempts, """ + US("e.first_attempt_at") + """ AS first_attempt_at,
       w.id AS watch_id, w.webhook_url AS url, w.secret AS secret, coalesce(w.enabled, false) AS enabled
"""

# One attempt: $status pending (retry later) | delivered | parked; the log keeps the last 50 attempts.
RECORD_ATTEMPT = """
MATCH (e:Event {id: $id})
SET e.attempts = coalesce(e.attempts, 0) + 1, e.status = $status, e.reason = $reason,
    e.first_attempt_at = coalesce(e.first_attempt_at, """ + DT("$at") + """),
    e.last_attempt_at = """ + DT("$at") + """,
    e.delivered_at = CASE WHEN $status = 'delivered' THEN """ + DT("$at") + """ ELSE e.delivered_at END,
    e.next_attempt_at = CASE WHEN $next IS NULL THEN null ELSE """ + DT("coalesce($next, 0)") + """ END,
    e.attempt_log = (coalesce(e.attempt_log, []) + [$entry])[-50..]
"""

# Events whose next delivery attempt is overdue by more than the grace (the task carrying it was lost).
OVERDUE_EVENTS = """
MATCH (e:Event {status: 'pending'})
WHERE coalesce(e.next_attempt_at, e.created_at) < """ + DT("$before") + """
RETURN e.id AS id, coalesce(e.attempts, 0) AS attempts
LIMIT $limit
"""

# Change records and finished events older than the retention (undispatched changes and pending events are kept).
PRUNE_CHANGES = """
MATCH (c:Change) WHERE c.recorded_at < """ + DT("$before") + """ AND NOT c:Undispatched
CALL (c) { DELETE c } IN TRANSACTIONS OF 10000 ROWS
"""

PRUNE_EVENTS = """
MATCH (e:Event) WHERE e.created_at < """ + DT("$before") + """ AND e.status <> 'pending'
CALL (e) { DELETE e } IN TRANSACTIONS OF 10000 ROWS
"""

# A watch's events, newest first, keyset-paged on (created_at, id).
WATCH_EVENTS = """
MATCH (e:Event {watch_id: $watch_id})
WITH e, """ + US("e.created_at") + """ AS at
WHERE $after_at IS NULL OR at < $after_at OR (at = $after_at AND e.id < $after_id)
RETURN e.id AS id, at AS created_at, e.status AS status, e.attempts AS attempts, e.reason AS reason,
       """ + US("e.last_attempt_at") + """ AS last_attempt_at, """ + US("e.delivered_at") + """ AS delivered_at,
       """ + US("e.next_attempt_at") + """ AS next_attempt_at, e.attempt_log AS attempt_log, e.body AS body
ORDER BY at DESC, e.id DESC
LIMIT $limit
"""
