"""Observations made by hand (``seen``, ``derived``, ``src`` at instants ``at(days)``) and the graph read
back whole (``snapshot``) or counted (``count``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import Driver

from crawler.observations import (
    DerivationSeen,
    EvidenceKind,
    ModelSeen,
    ModelStatus,
    Relation,
    Source,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def src(model_id: str, days: float = 0, rev: str | None = "rev0") -> Source:
    return Source(url=f"https://hub.test/api/models/{model_id}", revision=rev, observed_at=at(days))


def seen(model_id: str, days: float = 0, **kw: Any) -> ModelSeen:
    kw.setdefault("status", ModelStatus.AVAILABLE)
    return ModelSeen(id=model_id, source=src(model_id, days, kw.pop("rev", "rev0")), **kw)


def derived(
    child: str,
    parent: str,
    days: float = 0,
    relation: Relation = Relation.FINETUNE,
    kind: EvidenceKind = EvidenceKind.HUB_TAG,
    confidence: float = 1.0,
    detail: str | None = None,
) -> DerivationSeen:
    return DerivationSeen(
        child_id=child,
        parent_id=parent,
        relation=relation,
        evidence_kind=kind,
        evidence_detail=detail if detail is not None else f"{kind.value}:{parent}",
        confidence=confidence,
        source=src(child, days),
    )


def snapshot(driver: Driver) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every node and relationship with all properties, in a stable order."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props "
        "ORDER BY labels(n)[0], coalesce(n.id, n.sha256)"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.id, a.sha256) AS a, "
        "coalesce(b.id, b.sha256) AS b, properties(r) AS props"
    )
    rel_rows = [dict(r) for r in rels]
    rel_rows.sort(key=lambda r: (r["type"], r["a"], r["b"], repr(sorted(r["props"].items()))))
    node_rows = [_change_content(dict(n)) for n in nodes]
    node_rows.sort(key=lambda n: (n["labels"][0] if n["labels"] else "", repr(sorted(n["props"].items(), key=str))))
    return node_rows, rel_rows


def _change_content(node: dict[str, Any]) -> dict[str, Any]:
    """A change record by what it says (its id, batch and times differ between runs recording the same change)."""
    if "Change" not in node["labels"]:
        return node
    props = {k: v for k, v in node["props"].items() if k not in ("id", "batch", "recorded_at", "dispatched_at")}
    return {"labels": ["Change"], "props": props}


def count(driver: Driver, statement: str, **params: Any) -> int:
    records, _, _ = driver.execute_query(statement, params)
    return int(records[0][0])
