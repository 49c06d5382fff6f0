"""Change records read back: a batch's undispatched changes, and a scope's changes since an instant."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver

from graph.changes.kinds import Change, ChangeKind
from graph.db import read_query
from graph.errors import translated
from graph.history import from_micros, to_micros
from graph.statements import changes as q

__all__ = ["ChangePage", "batch_changes", "change_from_json", "change_from_row", "dispatched_changes", "scope_changes"]


def change_from_row(row: Any) -> Change:
    return Change(
        id=row["id"], kind=ChangeKind(row["kind"]), model_id=row["model_id"], batch=row["batch"],
        recorded_at=from_micros(row["at"]) or datetime.now(UTC), details=json.loads(row["details"] or "{}"),
        licenses=tuple(row["licenses"] or ()), terms=tuple(row["terms"] or ()), source_url=row["url"],
        revision=row["rev"], observed_at=from_micros(row["seen"]), kb_version=row["kb"],
    )


def change_from_json(data: dict[str, Any]) -> Change:
    """A change from :meth:`Change.to_json` (an event's body)."""
    ev = data.get("evidence") or {}

    def parse(value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(str(value))

    return Change(
        id=data["id"], kind=ChangeKind[data["kind"]], model_id=data["modelId"], batch=data["batch"],
        recorded_at=parse(data["recordedAt"]) or datetime.now(UTC), details=data.get("details") or {},
        licenses=tuple(data.get("licenses") or ()), terms=tuple(data.get("terms") or ()),
        source_url=ev.get("sourceUrl"), revision=ev.get("revision"), observed_at=parse(ev.get("observedAt")),
        kb_version=ev.get("kbVersion"),
    )


def dispatched_changes(driver: Driver, database: str | None, batch: str, dispatched_at_us: int) -> list[Change]:
    """The changes of ``batch`` one dispatch (at ``dispatched_at_us``) handed to the watches."""
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.DISPATCHED_CHANGES),
                                          {"batch": batch, "at": dispatched_at_us}, database_=database)
    return [change_from_row(r) for r in rows]


def batch_changes(driver: Driver, database: str | None, batch: str, *, page: int = 5000) -> list[Change]:
    """Every change of ``batch`` that no dispatch has seen yet, in id (time) order."""
    out: list[Change] = []
    after = ""
    with translated():
        while True:
            rows, _, _ = driver.execute_query(read_query(driver, q.BATCH_CHANGES),
                                              {"batch": batch, "after": after, "limit": page}, database_=database)
            out.extend(change_from_row(r) for r in rows)
            if len(rows) < page:
                return out
            after = rows[-1]["id"]


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: list[Change]
    has_next: bool


def scope_changes(
    driver: Driver, database: str | None, scope_kind: str, scope_id: str | None, *, since: datetime,
    kinds: Sequence[ChangeKind], first: int, after: tuple[int, str] | None = None, newest_first: bool = False,
) -> ChangePage:
    """Changes of a scope (``model``, ``root``, ``license``, ``term`` or ``all``) recorded since ``since``,
    oldest first (or newest first); ``after`` is the (recorded_at µs, id) of the last change seen."""
    params = {
        "id": scope_id, "since": to_micros(since), "kinds": [k.value for k in kinds], "limit": first + 1,
        "after_at": after[0] if after else 0, "after_id": after[1] if after else "",
    }
    with translated():
        rows, _, _ = driver.execute_query(read_query(driver, q.SCOPE_CHANGES[(scope_kind, newest_first)]), params, database_=database)
    found = [change_from_row(r) for r in rows]
    return ChangePage(found[:first], len(found) > first)
