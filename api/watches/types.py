"""GraphQL types of changes, watches, events and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.pagination import DEFAULT_PAGE, PageInfo, check_first, encode_key_cursor
from graph.history import to_micros
from graph.changes.kinds import Change as ChangeRecord
from graph.changes.kinds import ChangeKind
from graph.changes.read import change_from_json
from graph.watches.scope import ScopeKind
from graph.watches.store import EventRecord
from graph.watches.store import Watch as WatchRecord

__all__ = [
    "Change", "ChangeConnection", "ChangeEvent", "ChangeKind", "CreatedWatch", "DeliveryAttempt",
    "ScopeKind", "Watch", "WatchEvent", "WatchEventConnection", "WatchScope", "WatchScopeInput",
]

strawberry.enum(ChangeKind, name="ChangeKind", description=(
    "What changed about a model: MODEL_ADDED, MODEL_DELETED, MODEL_GATED, MODEL_UNGATED, LICENSE_CHANGED (old → new, "
    "from when where known), DERIVATION_ADDED / DERIVATION_CLOSED (a parent declared / no longer declared), "
    "DEPLOYMENT_ADDED, EFFECTIVE_TERMS_CHANGED, CONFLICT_OPENED / CONFLICT_RESOLVED."))
strawberry.enum(ScopeKind, name="ScopeKind", description=(
    "MODEL: the model and everything upstream of it (what it depends on); ROOT: the root and every descendant at any "
    "depth, also those that appear later; LICENSE: changes concerning the licence (declared before or after, or in "
    "force); TERM: changes of models that carry, drop or violate the term."))


@strawberry.input(description="Exactly one of model, root, license (id or alias, any case) or term.")
class WatchScopeInput:
    model: str | None = None
    root: str | None = None
    license: str | None = None
    term: str | None = None


@strawberry.type
class WatchScope:
    kind: ScopeKind
    id: str


@strawberry.type(description="Where a change record comes from.")
class ChangeEvidence:
    source_url: str | None = strawberry.field(description="The record of the model the batch wrote (fact changes).")
    revision: str | None
    observed_at: datetime | None
    kb_version: str | None = strawberry.field(description="The licence knowledge base of a recomputed result.")


@strawberry.type(description="One thing that changed about one model, in one batch (crawl, sweep, import, "
                             "registered deployment or recompute).")
class Change:
    id: strawberry.ID
    kind: ChangeKind
    model_id: str
    batch: str
    recorded_at: datetime
    details: JSON = strawberry.field(description=(
        "By kind: LICENSE_CHANGED {old, new, validFrom}; DERIVATION_* {parent, relation, validFrom}; "
        "DEPLOYMENT_ADDED {deployment}; MODEL_ADDED {knownFrom, license, licenseValidFrom, parents [{parent, relation, "
        "validFrom}], deployments} (one record for a new model); MODEL_GATED/UNGATED {old, new}; MODEL_DELETED {old}; "
        "EFFECTIVE_TERMS_CHANGED {licensesAdded, licensesRemoved, termsAdded, termsRemoved, droppedAdded, "
        "droppedRemoved, violatedAdded, violatedRemoved, commercialOld, commercialNew}; CONFLICT_* {rule, severity, "
        "path (model ids from the model towards the source), licenses}."))
    licenses: list[str]
    terms: list[str]
    evidence: ChangeEvidence

    @classmethod
    def of(cls, c: ChangeRecord) -> Change:
        return cls(id=strawberry.ID(c.id), kind=c.kind, model_id=c.model_id, batch=c.batch, recorded_at=c.recorded_at,
                   details=c.details, licenses=list(c.licenses), terms=list(c.terms),
                   evidence=ChangeEvidence(source_url=c.source_url, revision=c.revision, observed_at=c.observed_at,
                                           kb_version=c.kb_version))


@strawberry.type
class ChangeEdge:
    cursor: str
    node: Change


@strawberry.type
class ChangeConnection:
    edges: list[ChangeEdge]
    page_info: PageInfo


@strawberry.type
class ChangeKindCount:
    kind: ChangeKind
    count: int


@strawberry.type
class ConflictChange:
    model_id: str
    rule: str | None
    severity: str | None
    path: list[str]
    licenses: list[str]


@strawberry.type(description="The path from a changed model to the watched one (model ids, in that order; null: "
                             "no open derivation joins them any more).")
class EventPath:
    from_: str = strawberry.field(name="from")
    to: str
    models: list[str] | None


@strawberry.type(description="What an event's changes do: counted, with the conflicts they open and close.")
class EventImpact:
    changed_models: list[str] = strawberry.field(description="Models whose facts changed (the causes; first 50).")
    changed_model_count: int
    descendants_affected: int = strawberry.field(
        description="Other models in the scope whose effective terms or conflicts changed because of them.")
    conflicts_opened: int
    conflicts_resolved: int
    opened: list[ConflictChange] = strawberry.field(description="The first 20 conflicts opened.")
    resolved: list[ConflictChange] = strawberry.field(description="The first 20 conflicts resolved.")
    paths: list[EventPath]


@strawberry.type(description="What one watch or subscription hears of one batch: the same body webhooks receive "
                             "(`body`), typed.")
class ChangeEvent:
    id: strawberry.ID = strawberry.field(description="The idempotency id (the `webhook-id` header).")
    watch_id: str | None
    scope: WatchScope
    batch: str
    created_at: datetime
    counts: list[ChangeKindCount]
    total: int
    changes: list[Change] = strawberry.field(description="The first 50 changes, causes first.")
    truncated: bool
    impact: EventImpact
    body: JSON = strawberry.field(description="The event exactly as a webhook receives it.")

    @classmethod
    def of(cls, body: dict[str, Any]) -> ChangeEvent:
        imp = body["impact"]
        return cls(
            id=strawberry.ID(body["id"]), watch_id=body.get("watchId"),
            scope=WatchScope(kind=ScopeKind[body["scope"]["kind"]], id=body["scope"]["id"]), batch=body["batch"],
            created_at=datetime.fromisoformat(body["createdAt"]),
            counts=[ChangeKindCount(kind=ChangeKind[k], count=n) for k, n in body["counts"].items()], total=body["total"],
            changes=[Change.of(change_from_json(c)) for c in body["changes"]], truncated=body["truncated"],
            impact=EventImpact(
                changed_models=imp["changedModels"], changed_model_count=imp["changedModelCount"],
                descendants_affected=imp["descendantsAffected"], conflicts_opened=imp["conflictsOpened"],
                conflicts_resolved=imp["conflictsResolved"],
                opened=[ConflictChange(model_id=c["modelId"], rule=c["rule"], severity=c["severity"], path=c["path"],
                                       licenses=c["licenses"]) for c in imp["opened"]],
                resolved=[ConflictChange(model_id=c["modelId"], rule=c["rule"], severity=c["severity"], path=c["path"],
                                         licenses=c["licenses"]) for c in imp["resolved"]],
                paths=[EventPath(from_=p["from"], to=p["to"], models=p["models"]) for p in imp["paths"]],
            ),
            body=body,
        )


@strawberry.type
class DeliveryAttempt:
    at: datetime
    outcome: str = strawberry.field(description="DELIVERED, RETRY, GONE (HTTP 410), REFUSED (target rule) or PARKED.")
    status: int | None = strawberry.field(description="The receiver's HTTP status, if it answered.")
    reason: str
    seconds: float


@strawberry.type(description="An event of a watch with its delivery state and log.")
class WatchEvent:
    id: strawberry.ID
    created_at: datetime
    status: str = strawberry.field(description=(
        "stored (the watch has no webhook) | pending (delivery under way, retrying) | delivered | parked (given up "
        "or refused: `reason` says why)"))
    attempts: int
    reason: str | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    log: list[DeliveryAttempt] = strawberry.field(description="The last 50 attempts, oldest first.")
    event: ChangeEvent

    @classmethod
    def of(cls, e: EventRecord) -> WatchEvent:
        return cls(
            id=strawberry.ID(e.id), created_at=e.created_at, status=e.status, attempts=e.attempts, reason=e.reason,
            last_attempt_at=e.last_attempt_at, delivered_at=e.delivered_at, next_attempt_at=e.next_attempt_at,
            log=[DeliveryAttempt(at=d.at, outcome=d.outcome, status=d.status, reason=d.reason, seconds=d.seconds)
                 for d in e.log],
            event=ChangeEvent.of(e.body),
        )


@strawberry.type
class WatchEventEdge:
    cursor: str
    node: WatchEvent


@strawberry.type
class WatchEventConnection:
    edges: list[WatchEventEdge]
    page_info: PageInfo


@strawberry.type(description="A watch: changes of a scope, as events, to a webhook and in the delivery log.")
class Watch:
    id: strawberry.ID
    scope: WatchScope
    kinds: list[ChangeKind] = strawberry.field(description="The kinds it hears of (empty: all).")
    webhook_url: str | None
    created_at: datetime
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    record: strawberry.Private[WatchRecord]

    @strawberry.field(description="The watch's events, newest first, each with its delivery state and attempts.")
    async def deliveries(self, info: strawberry.Info[Any, None], first: int = DEFAULT_PAGE,
                         after: str | None = None) -> WatchEventConnection:
        from api.watches.service import EVENTS_CURSOR, events_of  # the service reads the graph; types stay light

        check_first(first)
        found = await events_of(info.context, self.record, first, after)
        page = found[:first]

        def cursor(e: EventRecord) -> str:
            return encode_key_cursor(EVENTS_CURSOR, "created", (to_micros(e.created_at), e.id))

        return WatchEventConnection(
            edges=[WatchEventEdge(cursor=cursor(e), node=WatchEvent.of(e)) for e in page],
            page_info=PageInfo(has_next_page=len(found) > first,
                               end_cursor=cursor(page[-1]) if page and len(found) > first else None),
        )

    @classmethod
    def of(cls, w: WatchRecord) -> Watch:
        return cls(id=strawberry.ID(w.id), scope=WatchScope(kind=w.scope.kind, id=w.scope.id),
                   kinds=sorted(w.kinds, key=lambda k: k.value), webhook_url=w.webhook_url, created_at=w.created_at,
                   enabled=w.enabled, disabled_reason=w.disabled_reason, disabled_at=w.disabled_at, record=w)


@strawberry.type
class CreatedWatch:
    watch: Watch
    secret: str | None = strawberry.field(description=(
        "The webhook signing secret (`whsec_…`), shown only now: deliveries are signed with it (docs/webhooks.md)."))
