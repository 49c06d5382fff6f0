"""An event: what one subscriber hears of one batch — its changes, counted, with their impact.

One batch makes at most one event per subscriber, however many models changed: a relicensed root
with 100,000 descendants gives each watch of the family one event that counts them. The event
lists its first :data:`LISTED` changes (the facts that changed first: the causes, then opened and
resolved conflicts, then effective-term changes) and says whether it left any out, so the receiver
does not have to ask again. The same body is sent to webhooks, stored in the delivery log and
yielded to GraphQL subscriptions.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from graph.changes.kinds import Change, ChangeKind
from graph.history import to_iso
from graph.watches.scope import ScopeKind, Subscriber

__all__ = ["LISTED", "LISTED_CONFLICTS", "PATHS", "Pair", "build_event", "event_id", "in_event_order", "path_pairs"]

LISTED = 50
"""Changes an event lists (all are counted)."""

LISTED_CONFLICTS = 20
"""Opened and resolved conflicts an event's impact lists (all are counted)."""

PATHS = 5
"""Paths from a changed model to the watched one an event carries."""

_ORDER = {kind: i for i, kind in enumerate((
    ChangeKind.MODEL_DELETED, ChangeKind.LICENSE_CHANGED, ChangeKind.MODEL_GATED, ChangeKind.MODEL_UNGATED,
    ChangeKind.DERIVATION_ADDED, ChangeKind.DERIVATION_CLOSED, ChangeKind.MODEL_ADDED, ChangeKind.DEPLOYMENT_ADDED,
    ChangeKind.CONFLICT_OPENED, ChangeKind.CONFLICT_RESOLVED, ChangeKind.EFFECTIVE_TERMS_CHANGED,
))}

Pair = tuple[str, str]
"""(descendant, ancestor): a path to find along open derivations."""


def event_id(key: str, batch: str, changes: Sequence[Change]) -> str:
    """The event's idempotency id: the same subscriber, batch and changes always give the same id (a digest of
    the subscriber, the batch, how many changes and the first and last of their ids)."""
    ids = [c.id for c in changes]
    parts = (key, batch, str(len(ids)), min(ids, default=""), max(ids, default=""))
    return "evt_" + hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


def in_event_order(changes: Sequence[Change]) -> list[Change]:
    """Causes first (deletions, licences, gating, derivations, additions, deployments), then conflicts, then
    effective terms; by id within a kind. Sorting a batch once keeps every event's changes in this order."""
    return sorted(changes, key=lambda c: (_ORDER[c.kind], c.id))


def _sources(changes: Sequence[Change]) -> list[str]:
    """The models whose facts changed (the causes), in order of first appearance (facts come first: stop at
    the first result change)."""
    found: dict[str, None] = {}
    for change in changes:
        if not change.is_fact:
            break
        found.setdefault(change.model_id)
    return list(found)


def path_pairs(sub: Subscriber, changes: Sequence[Change]) -> list[Pair]:
    """The (descendant, ancestor) pairs whose paths an event of ``sub`` shows: changed model ↔ watched model."""
    if sub.scope.kind not in (ScopeKind.ROOT, ScopeKind.MODEL):
        return []
    watched = sub.scope.id
    pairs: list[Pair] = []
    seen: set[str] = set()
    for model in _sources(changes) or (c.model_id for c in changes):
        if model == watched or model in seen:
            continue
        seen.add(model)
        pairs.append((model, watched) if sub.scope.kind is ScopeKind.ROOT else (watched, model))
        if len(pairs) == PATHS:
            break
    return pairs


def build_event(
    sub: Subscriber,
    batch: str,
    changes: Sequence[Change],
    paths: Mapping[Pair, Sequence[str]],
    *,
    created_at: datetime,
    watch_id: str | None,
) -> dict[str, Any]:
    """The event body (JSON-ready, camelCase; see docs/webhooks.md "Event body"); ``changes`` in
    :func:`in_event_order`. One pass over the changes: an event may count a whole family's."""
    counts: Counter[ChangeKind] = Counter()
    sources: dict[str, None] = {}
    results: set[str] = set()
    opened: list[Change] = []
    resolved: list[Change] = []
    for change in changes:
        counts[change.kind] += 1
        if change.is_fact:
            sources.setdefault(change.model_id)
        else:
            results.add(change.model_id)
        if change.kind is ChangeKind.CONFLICT_OPENED and len(opened) < LISTED_CONFLICTS:
            opened.append(change)
        elif change.kind is ChangeKind.CONFLICT_RESOLVED and len(resolved) < LISTED_CONFLICTS:
            resolved.append(change)
    shown: list[dict[str, Any]] = []
    for descendant, ancestor in path_pairs(sub, changes):
        found = paths.get((descendant, ancestor))
        if sub.scope.kind is ScopeKind.ROOT:  # the changed model is the descendant: from it up to the root
            changed, models = descendant, list(found) if found else None
        else:  # the changed model is upstream: from it down to the watched model
            changed, models = ancestor, list(reversed(found)) if found else None
        shown.append({"from": changed, "to": sub.scope.id, "models": models})
    return {
        "id": event_id(sub.key, batch, changes),
        "type": "lineage.changes",
        "watchId": watch_id,
        "scope": sub.scope.to_json(),
        "batch": batch,
        "createdAt": to_iso(created_at),
        "counts": {kind.name: n for kind, n in sorted(counts.items(), key=lambda kv: _ORDER[kv[0]])},
        "total": len(changes),
        "changes": [c.to_json() for c in changes[:LISTED]],
        "truncated": len(changes) > LISTED,
        "impact": {
            "changedModels": sorted(sources)[:LISTED],
            "changedModelCount": len(sources),
            "descendantsAffected": len(results - sources.keys()),
            "conflictsOpened": counts[ChangeKind.CONFLICT_OPENED],
            "conflictsResolved": counts[ChangeKind.CONFLICT_RESOLVED],
            "opened": [_conflict(c) for c in opened],
            "resolved": [_conflict(c) for c in resolved],
            "paths": shown,
        },
    }


def _conflict(change: Change) -> dict[str, Any]:
    d = change.details
    return {"modelId": change.model_id, "rule": d.get("rule"), "severity": d.get("severity"), "path": d.get("path", []),
            "licenses": d.get("licenses", [])}
