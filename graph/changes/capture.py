"""Find what changed about some models since it was last announced, record it, announce the new state.

:func:`capture` runs in one transaction per chunk of ids (``CAPTURE_STATE`` locks each model by a
write before reading it). It compares each model's state now — status, gate, declared licence,
open parents, deployments and, once computed, its propagation results — with the ``ann_*``
properties last announced, turns every difference into a :class:`~graph.changes.kinds.Change`,
creates the records and announces the new state. Capturing the same state again records nothing.

The comparison itself is :func:`diff_model`, pure, over two :class:`ModelState` values.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph.changes.conflict_keys import ConflictKey
from graph.changes.kinds import Change, ChangeKind
from graph.db import write_work
from graph.errors import translated
from graph.history import from_micros, to_iso, to_micros
from graph.statements import changes as q

__all__ = ["CHUNK", "ModelState", "Results", "capture", "capture_in", "change_row", "diff_model", "new_change_id"]

CHUNK = 2000
"""Models per capture transaction."""

_GATED = frozenset({"auto", "manual"})


@dataclass(frozen=True, slots=True)
class Results:
    """The propagation results of a model that a change can be about."""

    licenses: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    violated: tuple[str, ...] = ()
    commercial: str | None = None
    conflicts: tuple[str, ...] = ()  # ConflictKey strings


@dataclass(frozen=True, slots=True)
class ModelState:
    """What a model's change records compare: facts (always) and results (None: not computed / announced)."""

    status: str | None = None
    gate: str | None = None
    license: str | None = None
    parents: tuple[str, ...] = ()  # "parent|relation", sorted
    deployments: tuple[str, ...] = ()  # sorted
    results: Results | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    """What a change of one model cites: when and by which batch it was recorded, its evidence."""

    model_id: str
    batch: str
    at: datetime
    url: str | None
    rev: str | None
    seen: datetime | None
    kb: str | None
    known_from: str | None
    license_from: datetime | None
    parent_from: dict[str, datetime | None] = field(default_factory=dict)


def new_change_id(at: datetime) -> str:
    """A record id that sorts by time (hex epoch microseconds), then 16 random hex digits: a recompute records
    100,000s of changes at one instant, so the random part must not collide among them (64 bits)."""
    return f"{to_micros(at):013x}-{secrets.token_hex(8)}"


def diff_model(before: ModelState | None, now: ModelState, ctx: _Context) -> list[Change]:
    """The changes from ``before`` (None: never announced) to ``now``."""
    out: list[Change] = []
    results = now.results
    licenses = _scope_licenses(before, now)
    terms = _scope_terms(results)

    def add(kind: ChangeKind, details: dict[str, Any], *, fact: bool = True, lic: Iterable[str] = (),
            term: Iterable[str] = ()) -> None:
        out.append(Change(
            id=new_change_id(ctx.at), kind=kind, model_id=ctx.model_id, batch=ctx.batch, recorded_at=ctx.at,
            details=details, licenses=tuple(sorted(set(licenses) | set(lic))),
            terms=tuple(sorted(set(terms) | set(term))),
            source_url=ctx.url if fact else None, revision=ctx.rev if fact else None,
            observed_at=ctx.seen if fact else None, kb_version=None if fact else ctx.kb,
        ))

    if before is None:  # one record says all a new model declares (a first sweep of the Hub adds millions)
        add(ChangeKind.MODEL_ADDED, {
            "knownFrom": ctx.known_from, "license": now.license, "licenseValidFrom": to_iso(ctx.license_from),
            "parents": [_parent(p, ctx) for p in now.parents], "deployments": len(now.deployments),
        })
    else:
        _diff_facts(before, now, ctx, add)
    if results is not None:
        _diff_results(before.results if before else None, results, add)
    return out


def _parent(parent: str, ctx: _Context) -> dict[str, Any]:
    pid, _, relation = parent.partition("|")
    return {"parent": pid, "relation": relation, "validFrom": to_iso(ctx.parent_from.get(pid))}


def _diff_facts(old: ModelState, now: ModelState, ctx: _Context, add: Callable[..., None]) -> None:
    """The fact changes of a model announced before: status, gate, licence, parents, deployments."""
    if now.status == "deleted" and old.status != "deleted":
        add(ChangeKind.MODEL_DELETED, {"old": old.status})
    if _gated(now.gate) != _gated(old.gate) and now.gate is not None:
        add(ChangeKind.MODEL_GATED if _gated(now.gate) else ChangeKind.MODEL_UNGATED, {"old": old.gate, "new": now.gate})
    if now.license != old.license:
        add(ChangeKind.LICENSE_CHANGED, {"old": old.license, "new": now.license, "validFrom": to_iso(ctx.license_from)})
    for parent in sorted(set(now.parents) - set(old.parents)):
        add(ChangeKind.DERIVATION_ADDED, _parent(parent, ctx))
    for parent in sorted(set(old.parents) - set(now.parents)):
        pid, _, relation = parent.partition("|")
        add(ChangeKind.DERIVATION_CLOSED, {"parent": pid, "relation": relation})
    for deployment in sorted(set(now.deployments) - set(old.deployments)):
        add(ChangeKind.DEPLOYMENT_ADDED, {"deployment": deployment})


def _diff_results(before: Results | None, now: Results, add: Callable[..., None]) -> None:
    if before is not None:
        delta = {
            "licensesAdded": _added(now.licenses, before.licenses), "licensesRemoved": _added(before.licenses, now.licenses),
            "termsAdded": _added(now.terms, before.terms), "termsRemoved": _added(before.terms, now.terms),
            "droppedAdded": _added(now.dropped, before.dropped), "droppedRemoved": _added(before.dropped, now.dropped),
            "violatedAdded": _added(now.violated, before.violated),
            "violatedRemoved": _added(before.violated, now.violated),
        }
        if any(delta.values()) or now.commercial != before.commercial:
            delta |= {"commercialOld": before.commercial, "commercialNew": now.commercial}
            moved = {t for k, v in delta.items() if k.startswith(("terms", "dropped", "violated")) for t in v or ()}
            add(ChangeKind.EFFECTIVE_TERMS_CHANGED, delta, fact=False,
                lic=[*delta["licensesAdded"], *delta["licensesRemoved"]], term=moved)
    old = {ConflictKey.parse(k).identity: ConflictKey.parse(k) for k in (before.conflicts if before else ())}
    new = {ConflictKey.parse(k).identity: ConflictKey.parse(k) for k in now.conflicts}
    for identity in sorted(set(new) - set(old)):
        key = new[identity]
        add(ChangeKind.CONFLICT_OPENED, key.details(), fact=False, lic=key.licenses)
    for identity in sorted(set(old) - set(new)):
        key = old[identity]
        add(ChangeKind.CONFLICT_RESOLVED, key.details(), fact=False, lic=key.licenses)


def _added(a: Sequence[str], b: Sequence[str]) -> list[str]:
    return sorted(set(a) - set(b))


def _gated(gate: str | None) -> bool:
    return gate in _GATED


def _scope_licenses(before: ModelState | None, now: ModelState) -> set[str]:
    """The licences a change of this model concerns: declared before and now, and those in force."""
    found = {lic for lic in (now.license, before.license if before else None) if lic}
    if now.results is not None:
        found.update(now.results.licenses)
    return found


def _scope_terms(results: Results | None) -> set[str]:
    """The terms a change of this model concerns: those in force, dropped or violated."""
    if results is None:
        return set()
    return set(results.terms) | set(results.dropped) | set(results.violated)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _state_now(row: Any) -> ModelState:
    parents = tuple(sorted(f"{p[0]}|{p[1]}" for p in row["parents"]))
    results = None
    if row["computed"] and row["conflicts"] is not None:
        results = Results(
            licenses=_strings(row["eff_licenses"]), terms=_strings(row["eff_terms"]), dropped=_strings(row["dropped"]),
            violated=_strings(row["violated"]), commercial=row["commercial"], conflicts=_strings(row["conflicts"]),
        )
    return ModelState(status=row["status"], gate=row["gate"], license=row["license"], parents=parents,
                      deployments=tuple(sorted(str(d) for d in row["deployments"])), results=results)


def _state_announced(row: Any) -> ModelState | None:
    """The state last announced (None: never); results None until first announced, when every conflict opens."""
    if row["ann_known"] is None:
        return None
    results = None
    if row["ann_results"]:
        results = Results(
            licenses=_strings(row["ann_licenses"]), terms=_strings(row["ann_terms"]),
            dropped=_strings(row["ann_dropped"]), violated=_strings(row["ann_violated"]),
            commercial=row["ann_commercial"], conflicts=_strings(row["ann_conflicts"]),
        )
    return ModelState(status=row["ann_status"], gate=row["ann_gate"], license=row["ann_license"],
                      parents=_strings(row["ann_parents"]), deployments=_strings(row["ann_deployments"]),
                      results=results)


def _announced(now: ModelState, before: ModelState | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "ann_known": True, "ann_status": now.status, "ann_gate": now.gate, "ann_license": now.license,
        "ann_parents": list(now.parents), "ann_deployments": list(now.deployments),
    }
    results = now.results if now.results is not None else (before.results if before else None)
    if results is not None:
        props |= {
            "ann_results": True, "ann_licenses": list(results.licenses), "ann_terms": list(results.terms),
            "ann_dropped": list(results.dropped), "ann_violated": list(results.violated),
            "ann_commercial": results.commercial, "ann_conflicts": list(results.conflicts),
        }
    return props


def change_row(change: Change) -> dict[str, Any]:
    """The parameters ``CREATE_CHANGES`` takes for one change."""
    return {
        "id": change.id, "kind": change.kind.value, "model_id": change.model_id, "batch": change.batch,
        "at": to_micros(change.recorded_at), "details": change.details_json(), "licenses": list(change.licenses),
        "terms": list(change.terms), "url": change.source_url, "rev": change.revision,
        "seen": None if change.observed_at is None else to_micros(change.observed_at), "kb": change.kb_version,
    }


def capture_in(tx: ManagedTransaction, ids: Sequence[str], batch: str, at: datetime) -> list[Change]:
    """Capture the changes of ``ids`` inside ``tx``; returns the changes recorded."""
    rows = list(tx.run(q.CAPTURE_STATE, {"ids": sorted(set(ids))}))
    changes: list[Change] = []
    announce: list[dict[str, Any]] = []
    for row in rows:
        now = _state_now(row)
        before = _state_announced(row)
        if before == now:
            continue
        ctx = _Context(
            model_id=row["id"], batch=batch, at=at, url=row["url"], rev=row["rev"], seen=from_micros(row["seen"]),
            kb=row["kb"], known_from=row["known_from"], license_from=from_micros(row["license_from"]),
            parent_from={p[0]: from_micros(p[2]) for p in row["parents"]},
        )
        changes.extend(diff_model(before, now, ctx))
        announce.append({"id": row["id"], "props": _announced(now, before)})
    if announce:
        tx.run(q.ANNOUNCE, {"rows": announce}).consume()
    if changes:
        tx.run(q.CREATE_CHANGES, {"rows": [change_row(c) for c in changes]}).consume()
    return changes


def capture(driver: Driver, ids: Iterable[str], *, batch: str, database: str | None = None,
            at: datetime | None = None) -> list[Change]:
    """Capture the changes of ``ids`` (one transaction per :data:`CHUNK` models); returns them."""
    ordered = sorted(set(ids))
    found: list[Change] = []
    when = at or datetime.now(UTC)
    with translated():
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]

            def work(tx: ManagedTransaction, chunk: Sequence[str] = chunk) -> list[Change]:
                return capture_in(tx, chunk, batch, when)

            with driver.session(database=database) as session:
                found.extend(session.execute_write(write_work(driver, work)))
    return found
