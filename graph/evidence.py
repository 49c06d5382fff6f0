"""Evidence and version rules for DERIVED_FROM edges (pure functions, no database).

A DERIVED_FROM edge keeps every piece of evidence ever seen for it; a piece is identified
by (kind, detail, source url). Re-seeing a piece widens its first/last seen times, keeps
its highest confidence and latest revision; it is never duplicated, and a stronger later
piece never removes a weaker earlier one. Neo4j properties cannot hold maps, so the pieces
are stored as one list of JSON objects (``evidence``: kind, detail, relation, confidence,
url, revision, first_seen, last_seen — times in ISO 8601 UTC), in a deterministic order;
the edge's ``relation``, ``confidence`` (max over pieces), ``first_seen`` and ``last_seen``
summarise them as plain properties for queries.

An edge is a version: ``valid_from`` … ``valid_to`` (open while ``valid_to`` is null).
:func:`plan_derivation` decides, for evidence arriving in a batch, whether it refreshes the
open version, belongs to a closed one (it was observed before that version closed), or
opens a new version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.observations import EvidenceKind, Relation
from graph.history import to_utc
from graph.records import DerivationRecord, EvidenceRecord

__all__ = [
    "EdgeVersion",
    "EdgeWrite",
    "edge_properties",
    "evidence_from_properties",
    "merge_evidence",
    "plan_derivation",
    "summarise",
]

_KIND_RANK = {kind.value: rank for rank, kind in enumerate(EvidenceKind)}
_UNKNOWN = Relation.UNKNOWN.value


def merge_evidence(
    existing: Iterable[EvidenceRecord], new: Iterable[EvidenceRecord]
) -> tuple[EvidenceRecord, ...]:
    """Union of two evidence lists by identity, widened, in a deterministic order."""
    merged: dict[tuple[str, str, str], EvidenceRecord] = {}
    for ev in (*existing, *new):
        old = merged.get(ev.identity)
        merged[ev.identity] = ev if old is None else _combine(old, ev)
    return tuple(sorted(merged.values(), key=lambda e: (e.first_seen, e.kind, e.detail, e.url)))


def _combine(a: EvidenceRecord, b: EvidenceRecord) -> EvidenceRecord:
    later = b if (b.last_seen, b.confidence) >= (a.last_seen, a.confidence) else a
    stronger = a if a.confidence > b.confidence else b if b.confidence > a.confidence else later
    relation = stronger.relation
    if relation == _UNKNOWN:
        relation = later.relation if later.relation != _UNKNOWN else (a.relation if a.relation != _UNKNOWN else b.relation)
    return EvidenceRecord(
        kind=a.kind,
        detail=a.detail,
        relation=relation,
        confidence=max(a.confidence, b.confidence),
        url=a.url,
        revision=later.revision,
        first_seen=min(a.first_seen, b.first_seen),
        last_seen=max(a.last_seen, b.last_seen),
    )


def summarise(evidence: Sequence[EvidenceRecord]) -> tuple[str, float]:
    """The edge's relation and confidence: relation of the strongest piece that names one; max confidence."""
    if not evidence:
        return _UNKNOWN, 0.0
    confidence = max(e.confidence for e in evidence)
    ranked = sorted(evidence, key=lambda e: (-e.confidence, _KIND_RANK.get(e.kind, 99), e.relation))
    named = [e for e in ranked if e.relation != _UNKNOWN]
    return (named[0].relation if named else _UNKNOWN), confidence


def edge_properties(evidence: Sequence[EvidenceRecord], run_id: str | None) -> dict[str, Any]:
    """Neo4j properties of a DERIVED_FROM edge holding ``evidence`` (valid_from/to not included)."""
    relation, confidence = summarise(evidence)
    latest = max(evidence, key=lambda e: (e.last_seen, e.first_seen, e.kind, e.detail))
    props: dict[str, Any] = {
        "relation": relation,
        "confidence": confidence,
        "first_seen": min(e.first_seen for e in evidence),
        "last_seen": latest.last_seen,
        "source_url": latest.url,
        "revision": latest.revision,
        "evidence": [_encode(e) for e in evidence],
    }
    if run_id is not None:
        props["last_run"] = run_id
    return props


def _encode(e: EvidenceRecord) -> str:
    return json.dumps(
        {
            "kind": e.kind,
            "detail": e.detail,
            "relation": e.relation,
            "confidence": float(e.confidence),
            "url": e.url,
            "revision": e.revision,
            "first_seen": e.first_seen.isoformat(),
            "last_seen": e.last_seen.isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def evidence_from_properties(props: Mapping[str, Any]) -> tuple[EvidenceRecord, ...]:
    """Rebuild the evidence pieces stored on an edge."""
    out = []
    for raw in props.get("evidence") or []:
        d = json.loads(raw)
        out.append(
            EvidenceRecord(
                kind=str(d["kind"]),
                detail=str(d["detail"]),
                relation=str(d["relation"]),
                confidence=float(d["confidence"]),
                url=str(d["url"]),
                revision=d.get("revision"),
                first_seen=to_utc(datetime.fromisoformat(d["first_seen"])),
                last_seen=to_utc(datetime.fromisoformat(d["last_seen"])),
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class EdgeVersion:
    """A stored DERIVED_FROM version between one child and one parent."""

    element_id: str
    valid_from: datetime
    valid_to: datetime | None
    last_seen: datetime
    last_run: str | None
    relation: str
    evidence: tuple[EvidenceRecord, ...]

    @classmethod
    def from_properties(cls, element_id: str, props: Mapping[str, Any]) -> EdgeVersion:
        valid_to = props.get("valid_to")
        return cls(
            element_id=element_id,
            valid_from=to_utc(props["valid_from"]),
            valid_to=None if valid_to is None else to_utc(valid_to),
            last_seen=to_utc(props["last_seen"]),
            last_run=props.get("last_run"),
            relation=str(props.get("relation", _UNKNOWN)),
            evidence=evidence_from_properties(props),
        )


@dataclass(frozen=True, slots=True)
class EdgeWrite:
    """What to do for one derivation record: update an existing version or create one."""

    child: str
    parent: str
    element_id: str | None  # None = create a new open version
    props: dict[str, Any]
    relation_changed: bool  # the open version's relation changed (closure must be refreshed)
    opened: bool  # a new open version was created


def plan_derivation(
    record: DerivationRecord, versions: Sequence[EdgeVersion], run_id: str
) -> EdgeWrite | None:
    """Decide how ``record`` lands on the stored ``versions``; None when nothing would change."""
    t_min = min(e.first_seen for e in record.evidence)
    t_max = max(e.last_seen for e in record.evidence)
    open_versions = sorted((v for v in versions if v.valid_to is None), key=lambda v: v.valid_from)
    target: EdgeVersion | None = open_versions[0] if open_versions else None
    if target is None:
        closed = sorted((v for v in versions if v.valid_to is not None), key=lambda v: v.valid_to or t_max)
        if closed and closed[-1].valid_to is not None and t_max < closed[-1].valid_to:
            target = closed[-1]  # late evidence for a version that has since been closed
    if target is None:
        props = edge_properties(merge_evidence((), record.evidence), run_id)
        last_closed = max((v.valid_to for v in versions if v.valid_to is not None), default=None)
        props["valid_from"] = t_min if last_closed is None else max(t_min, last_closed)
        return EdgeWrite(record.child, record.parent, None, props, relation_changed=False, opened=True)
    merged = merge_evidence(target.evidence, record.evidence)
    run = run_id if t_max >= target.last_seen else target.last_run
    props = edge_properties(merged, run)
    if merged == target.evidence and run == target.last_run:
        return None
    changed = target.valid_to is None and props["relation"] != target.relation
    return EdgeWrite(record.child, record.parent, target.element_id, props, changed, opened=False)
