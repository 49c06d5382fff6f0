"""Driver values → read models (pure); the one place stored strings become the domain's enums.

A stored value that is not a member of its enum raises ``ValueError``: the graph holds only what
the writer wrote, so anything else is corruption to be seen, not hidden behind a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crawler.observations import DeploymentKind, ModelStatus, Relation
from graph.evidence import evidence_from_properties
from graph.history import to_utc, valid_at, value_at
from graph.reads.types import Evidence, LineageEdge, ModelRef
from terms.propagation.rules import ConflictState

__all__ = ["conflict_state", "deployment_kind", "edge", "model_ref", "model_status", "opt_time", "relation"]


def opt_time(value: Any) -> datetime | None:
    return None if value is None else to_utc(value)


def relation(value: Any) -> Relation:
    """A stored DERIVED_FROM relation (every edge and evidence piece is written with one)."""
    return Relation(value)


def model_status(value: Any) -> ModelStatus:
    """A stored model status. A model without one was only ever seen as someone's parent, which the
    domain names ``unknown`` (a real status, not a fallback for unreadable values)."""
    return ModelStatus(value) if value else ModelStatus.UNKNOWN


def deployment_kind(value: Any) -> DeploymentKind:
    """A stored deployment kind (every deployment is written with one)."""
    return DeploymentKind(value)


def conflict_state(value: Any) -> ConflictState | None:
    """A materialised conflict state; None where no result is materialised."""
    return None if value is None else ConflictState(value)


def model_ref(p: Mapping[str, Any], as_of: datetime | None) -> ModelRef:
    """A ModelRef from a projected model map, with status, gate and licence as of ``as_of``."""
    if as_of is None:
        status = model_status(p.get("status"))
        gated = p.get("gated")
    else:
        status = model_status(value_at(p.get("status_history"), p.get("status_valid_from"), as_of))
        gated = value_at(p.get("gate_history"), p.get("gate_valid_from"), as_of)
    licence = None
    if "licenses" not in p:  # current projection: the licence in force is a property
        licence = p.get("declared_license")
    starts: list[datetime] = []
    for lic_id, start, end in p.get("licenses") or []:
        if valid_at(start, end, as_of):
            licence = str(lic_id)
        if start is not None:
            starts.append(to_utc(start))
    first_seen = opt_time(p.get("first_seen"))
    created = opt_time(p.get("hub_created"))
    known = [t for t in (first_seen, created, *starts) if t is not None]
    return ModelRef(
        id=str(p["id"]),
        status=status,
        gated=None if gated is None else str(gated),
        declared_license=licence,
        author=p.get("author"),
        aliases=tuple(p.get("aliases") or ()),
        stale=bool(p.get("stale")),
        first_seen=first_seen,
        last_seen=opt_time(p.get("last_seen")),
        last_run=p.get("last_run"),
        source_url=p.get("source_url"),
        revision=p.get("revision"),
        exists_from=min(known) if as_of is not None and known else None,
    )


def edge(child: str, parent: str, props: Mapping[str, Any]) -> LineageEdge:
    pieces = tuple(
        Evidence(e.kind, e.detail, relation(e.relation), e.confidence, e.url, e.revision, e.first_seen, e.last_seen)
        for e in evidence_from_properties(props)
    )
    return LineageEdge(
        child=child,
        parent=parent,
        relation=relation(props.get("relation")),
        confidence=float(props.get("confidence", 0.0)),
        valid_from=to_utc(props["valid_from"]),
        valid_to=opt_time(props.get("valid_to")),
        first_seen=to_utc(props["first_seen"]),
        last_seen=to_utc(props["last_seen"]),
        last_run=props.get("last_run"),
        source_url=props.get("source_url"),
        revision=props.get("revision"),
        evidence=pieces,
    )
