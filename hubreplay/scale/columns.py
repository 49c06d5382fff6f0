"""Per-model facts of a scale hub as compact columns (one machine word or byte per model).

A model is an index. Its lineage is ``first_parent`` (-1 = no declared base) plus, for the few
models with several bases, ``more_parents``; ``relation`` is one code per model, and ``kind`` the relation the model was created with (its name shows it, so
it never changes even if the declared base does). Everything else a
payload shows is either a column here or derived from the index and seed when the model is shown.
The columns grow when a day of changes adds models; nothing is ever removed (deletion is a flag).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

__all__ = ["NO_PARENT", "RELATIONS", "Columns", "relation_code"]

NO_PARENT: Final = -1
RELATIONS: Final = ("", "finetune", "adapter", "quantized", "merge")
_CODES: Final = {name: code for code, name in enumerate(RELATIONS)}


def relation_code(relation: str | None) -> int:
    """The column code of a relation name (0 = none)."""
    return _CODES[relation or ""]


@dataclass(slots=True)
class Columns:
    """The columns of one scale hub. ``created``/``modified`` are seconds since the epoch (or, for the
    real topology, a week ordinal used only for ordering); ``downloads`` is a count."""

    first_parent: array = field(default_factory=lambda: array("i"))
    relation: bytearray = field(default_factory=bytearray)
    created: array = field(default_factory=lambda: array("I"))
    modified: array = field(default_factory=lambda: array("I"))
    downloads: array = field(default_factory=lambda: array("I"))
    author: array = field(default_factory=lambda: array("I"))
    family: bytearray = field(default_factory=bytearray)
    kind: bytearray = field(default_factory=bytearray)
    license: bytearray = field(default_factory=bytearray)
    deleted: bytearray = field(default_factory=bytearray)
    more_parents: dict[int, tuple[int, ...]] = field(default_factory=dict)
    version: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.relation)

    def append(
        self,
        parents: tuple[int, ...],
        relation: int,
        created: int,
        modified: int,
        downloads: int = 0,
        author: int = 0,
        family: int = 0,
        license: int = 0,
        /,
    ) -> int:
        """Add one model (its ``kind`` is its relation); returns its index. Positional: called 3 M times."""
        index = len(self.relation)
        self.first_parent.append(parents[0] if parents else NO_PARENT)
        if len(parents) > 1:
            self.more_parents[index] = parents[1:]
        self.relation.append(relation)
        self.kind.append(relation)
        self.created.append(created)
        self.modified.append(modified)
        self.downloads.append(downloads)
        self.author.append(author)
        self.family.append(family)
        self.license.append(license)
        self.deleted.append(0)
        return index

    def edges(self) -> Iterator[tuple[int, int]]:
        """Every ``(parent, child)`` pair, children in index order."""
        more = self.more_parents
        for child, first in enumerate(self.first_parent):
            if first != NO_PARENT:
                yield first, child
                extra = more.get(child)
                if extra:
                    for parent in extra:
                        yield parent, child

    def parents(self, index: int) -> tuple[int, ...]:
        first = self.first_parent[index]
        if first == NO_PARENT:
            return ()
        more = self.more_parents.get(index)
        return (first, *more) if more else (first,)

    def set_parents(self, index: int, parents: tuple[int, ...]) -> None:
        self.first_parent[index] = parents[0] if parents else NO_PARENT
        if len(parents) > 1:
            self.more_parents[index] = parents[1:]
        else:
            self.more_parents.pop(index, None)

    def is_live(self, index: int) -> bool:
        return 0 <= index < len(self.relation) and not self.deleted[index]
