"""The real Hub topology (bundled, March-July 2025) as a scale hub source.

Serves the 435,785 real models with their real ids and the lineage they declared, and the 9,157
further bases they reference as bare models (known to exist, nothing else known). Only what the
data holds is shown: ``id``, ``modelId``, ``author`` (the namespace) and, for rows, ``tags`` made of
the Hub-computed ``base_model:<id>`` and ``base_model:<relation>:<id>`` tags. No licence, card,
counts, sha or dates: a key that was not recorded is absent.

Ordering: ``sort=lastModified`` and ``sort=createdAt`` order by the week the crawl first saw the
model (newest week first, bare bases last); the payload carries no date because the week is not
a timestamp. ``sort=downloads`` is refused (no counts were recorded).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

from hubreplay.scale.columns import Columns, relation_code
from hubreplay.scale.topology_file import TopologyRows, read_topology

__all__ = ["BUNDLED_TOPOLOGY", "TopologySource", "load_topology"]

BUNDLED_TOPOLOGY: Final = Path(__file__).parent / "data" / "topology-2025-03-07.txt.xz"
_SORTS: Final = frozenset({"lastModified", "createdAt"})


class TopologySource:
    """The bundled topology as a :class:`~hubreplay.scale.catalog.ModelSource`."""

    def __init__(self, rows: TopologyRows) -> None:
        self.rows = rows
        self.ids = rows.ids
        self._index = {model_id: i for i, model_id in enumerate(rows.ids)}
        owners: dict[str, int] = {}
        self.columns = Columns()
        week_order = {week: k + 1 for k, (week, _) in enumerate(rows.weeks)}
        weeks = rows.week_of_row()
        for index, model_id in enumerate(rows.ids):
            owner = model_id.split("/", 1)[0].lower() if "/" in model_id else ""
            author = owners.setdefault(owner, len(owners))
            is_row = index < rows.rows
            week = week_order[weeks[index]] if is_row else 0
            parents = rows.bases[index] if is_row else ()
            relation = relation_code(rows.relation(index)) if is_row else 0
            self.columns.append(parents, relation, week, week, 0, author)
        self._owners = owners
        self._week_names = {k + 1: week for k, (week, _) in enumerate(rows.weeks)}

    @property
    def sorts(self) -> frozenset[str]:
        return _SORTS

    @property
    def created_ascending(self) -> bool:
        return False

    def model_id(self, index: int) -> str:
        return self.ids[index]

    def lookup(self, model_id: str) -> int | None:
        return self._index.get(model_id)

    def alias_target(self, model_id: str) -> str | None:
        return None

    def author_code(self, author: str) -> int | None:
        """The Hub matches ``author=`` without regard to case."""
        return self._owners.get(author.lower())

    def first_seen_week(self, index: int) -> str | None:
        """MMDD (2025) of the crawl that first saw this row; None for a bare base."""
        return self._week_names.get(self.columns.created[index])

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "topology",
            "data": "real: Hub ids and declared lineage only (no licences, cards, counts or dates)",
            "models": len(self.ids),
            "rows": self.rows.rows,
            "bare_bases": len(self.ids) - self.rows.rows,
            "weeks": [week for week, _ in self.rows.weeks],
            "provenance": self.rows.provenance,
        }

    def info(self, index: int) -> dict[str, Any]:
        model_id = self.ids[index]
        info: dict[str, Any] = {"id": model_id, "modelId": model_id}
        if "/" in model_id:
            info["author"] = model_id.split("/", 1)[0]
        if index < self.rows.rows:
            relation = self.rows.relation(index)
            tags: list[str] = []
            for base in self.rows.bases[index]:
                tags.append(f"base_model:{self.ids[base]}")
                tags.append(f"base_model:{relation}:{self.ids[base]}")
            info["tags"] = tags
        return info


@cache
def _bundled() -> TopologyRows:
    return read_topology(BUNDLED_TOPOLOGY)


def load_topology(path: Path | None = None) -> TopologySource:
    """The bundled topology (or another file in the same format) as a source."""
    return TopologySource(_bundled() if path is None else read_topology(path))
