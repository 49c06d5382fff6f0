"""What a watch (or a subscription) looks at: a model, a family root, a licence or a term."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from graph.changes.kinds import ChangeKind

__all__ = ["Scope", "ScopeKind", "Subscriber"]


class ScopeKind(enum.StrEnum):
    MODEL = "model"  # the model and everything upstream of it (what it depends on)
    ROOT = "root"  # the root and every descendant at any depth, also those that appear later
    LICENSE = "license"  # changes whose licences include it (declared before or after, or in force)
    TERM = "term"  # changes of models that carry, drop or violate the term, or that add or remove it


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind
    id: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.name, "id": self.id}


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Anyone matched against changes: a watch (``key`` its id) or a GraphQL subscription."""

    key: str
    scope: Scope
    kinds: frozenset[ChangeKind] = frozenset()  # empty: every kind

    def wants(self, kind: ChangeKind) -> bool:
        return not self.kinds or kind in self.kinds
