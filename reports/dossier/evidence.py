"""The evidence table of a dossier: rows added in a fixed order, numbered ``E1``, ``E2`` …

Facts refer to rows by id. The same observation supporting two facts is one row per fact
(the table says what each row supports); an identical row added twice keeps its first id.
Ids depend only on the order rows are added, which the assembler fixes (subject first,
ancestors by depth then id, versions oldest first), so equal inputs number rows equally.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from graph.history import to_utc
from reports.dossier.model import EvidenceRow

__all__ = ["EvidenceBook", "prov_time"]


def prov_time(value: Any) -> datetime | None:
    """A provenance time from a read row (epoch microseconds or a temporal value), None stays None."""
    return None if value is None else to_utc(value)


class EvidenceBook:
    """Collects evidence rows and hands out their ids."""

    def __init__(self) -> None:
        self._rows: list[EvidenceRow] = []
        self._ids: dict[tuple[Any, ...], str] = {}

    def add(
        self,
        *,
        fact: str,
        kind: str,
        model: str | None = None,
        detail: str | None = None,
        source_url: str | None = None,
        revision: str | None = None,
        first_seen: datetime | None = None,
        last_seen: datetime | None = None,
        run: str | None = None,
    ) -> str:
        key = (fact, kind, model, detail, source_url, revision, first_seen, last_seen, run)
        found = self._ids.get(key)
        if found is not None:
            return found
        row_id = f"E{len(self._rows) + 1}"
        self._ids[key] = row_id
        row = EvidenceRow(row_id, fact, model, kind, detail, source_url, revision, first_seen, last_seen, run)
        self._rows.append(row)
        return row_id

    def add_prov(self, prov: Mapping[str, Any], *, fact: str, kind: str, model: str | None,
                 detail: str | None = None) -> str:
        """A row from a read's provenance map (source_url, revision, first_seen, last_seen, run)."""
        return self.add(
            fact=fact,
            kind=kind,
            model=model,
            detail=detail,
            source_url=prov.get("source_url"),
            revision=prov.get("revision"),
            first_seen=prov_time(prov.get("first_seen")),
            last_seen=prov_time(prov.get("last_seen")),
            run=prov.get("run"),
        )

    @property
    def rows(self) -> tuple[EvidenceRow, ...]:
        return tuple(self._rows)

    def latest(self) -> datetime | None:
        """The newest observation time among the rows (licence texts carry none)."""
        times = [r.last_seen or r.first_seen for r in self._rows]
        known = [t for t in times if t is not None]
        return max(known) if known else None
