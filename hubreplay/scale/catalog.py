"""The scale hub's indexes and listing: children and author indexes, listing orders, keyset pages.

A :class:`ModelSource` (the synthetic generator or the real topology) knows names and payloads;
the catalog adds what a listing needs without scanning every model:

* ``filter=base_model:<id>`` / ``base_model:<relation>:<id>``: a children index (compressed rows
  built once, plus the children added by later changes);
* ``author=``: an author index built the same way;
* ``sort=lastModified|createdAt|downloads`` and the default order: :class:`KeyOrder` keyset orders.

* ``search=``: one block of lower-cased ids searched with ``bytes.find`` (:mod:`hubreplay.scale.search`),
  built on the first search; a term matching very many models is tested per model instead.

Other filters (``pipeline_tag``, ``gated``, other tags) test each model in the order of the
listing until the page is full: cheap when matches are common, a scan of the whole hub (tens of
seconds at 3 M models) when they are rare.
"""

from __future__ import annotations

import bisect
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Protocol

from hubreplay.scale.columns import RELATIONS, Columns
from hubreplay.scale.order import KeyOrder, Position
from hubreplay.scale.search import IdText

__all__ = ["ModelSource", "ScaleCatalog", "SortName"]

SortName = str
_CACHED_SELECTIONS = 32
_SORT_COLUMNS = {"lastModified": "modified", "createdAt": "created", "downloads": "downloads"}


class ModelSource(Protocol):
    """What the catalog needs from a scale hub's generator or data."""

    columns: Columns

    def model_id(self, index: int) -> str: ...

    def lookup(self, model_id: str) -> int | None: ...

    def alias_target(self, model_id: str) -> str | None: ...

    def author_code(self, author: str) -> int | None: ...

    def info(self, index: int) -> dict[str, Any]: ...

    def describe(self) -> dict[str, Any]: ...

    @property
    def sorts(self) -> frozenset[str]: ...

    @property
    def created_ascending(self) -> bool: ...


Pairs = Callable[[], Iterable[tuple[int, int]]]


def _grouped(count: int, pairs: Pairs) -> tuple[array, array]:
    """Compressed rows: ``flat[offsets[g]:offsets[g + 1]]`` are the members of group ``g``.

    ``pairs`` is called twice (count, then fill), so no list of 3 M pairs is ever held."""
    sizes = array("I", bytes(4 * (count + 1)))
    for group, _ in pairs():
        sizes[group + 1] += 1
    for g in range(count):
        sizes[g + 1] += sizes[g]
    fill = array("I", sizes)
    flat = array("I", bytes(4 * sizes[count]))
    for group, member in pairs():
        flat[fill[group]] = member
        fill[group] += 1
    return sizes, flat


class _Index:
    """Members per group (children per parent, models per author), built once and extended by changes."""

    def __init__(self, count: int, pairs: Pairs) -> None:
        self._offsets, self._flat = _grouped(count, pairs)
        self._count = count
        self._added: dict[int, list[int]] = {}

    def members(self, group: int) -> list[int]:
        found = list(self._flat[self._offsets[group] : self._offsets[group + 1]]) if group < self._count else []
        return found + self._added.get(group, [])

    def add(self, group: int, member: int) -> None:
        self._added.setdefault(group, []).append(member)


class ScaleCatalog:
    """A :class:`ModelSource` with its indexes and orders; answers pages of model indices."""

    def __init__(self, source: ModelSource) -> None:
        self.source = source
        columns = source.columns
        self.columns = columns
        count = len(columns)
        self._children = _Index(count, columns.edges)
        author = columns.author
        self._authors = _Index(max(author, default=0) + 1, lambda: zip(author, range(count)))
        self._orders: dict[str, KeyOrder] = {}
        self._generation = 0
        self._selections: OrderedDict[Hashable, tuple[int, list[Position]]] = OrderedDict()
        self._id_text: IdText | None = None
        for sort in sorted(source.sorts):
            keys = getattr(columns, _SORT_COLUMNS[sort])
            ascending = sort == "createdAt" and source.created_ascending
            self._orders[sort] = KeyOrder.build(keys, ascending_by_index=ascending)

    # -- changes -------------------------------------------------------------------------------

    def added(self, index: int) -> None:
        """Index a model appended to the columns."""
        for parent in self.columns.parents(index):
            self._children.add(parent, index)
        self._authors.add(self.columns.author[index], index)
        for order in self._orders.values():
            order.moved(index)
        self._generation += 1

    def reparented(self, index: int, new_parents: tuple[int, ...]) -> None:
        """Index new bases of a model (old ones are dropped when listed: the live parents are checked)."""
        old = set(self.columns.parents(index))
        self.columns.set_parents(index, new_parents)
        for parent in new_parents:
            if parent not in old:
                self._children.add(parent, index)
        self._generation += 1

    def key_changed(self, sort: str, index: int) -> None:
        order = self._orders.get(sort)
        if order is not None:
            order.moved(index)
        self._generation += 1

    # -- lookups -------------------------------------------------------------------------------

    def live(self, model_id: str) -> int | None:
        index = self.source.lookup(model_id)
        return index if index is not None and self.columns.is_live(index) else None

    def children(self, parent: int, relation: str | None) -> list[int]:
        """Live models declaring ``parent`` (with ``relation`` when given), each once."""
        columns = self.columns
        code = RELATIONS.index(relation) if relation else None
        out: list[int] = []
        seen: set[int] = set()
        for child in self._children.members(parent):
            if child in seen or columns.deleted[child] or parent not in columns.parents(child):
                continue
            if code is not None and columns.relation[child] != code:
                continue
            seen.add(child)
            out.append(child)
        return out

    def by_author(self, author: str) -> list[int]:
        code = self.source.author_code(author)
        if code is None:
            return []
        return [i for i in self._authors.members(code) if self.columns.author[i] == code]

    def base_model_filter(self, value: str) -> list[int] | None:
        """Children answering ``filter=base_model:[<relation>:]<id>``; None when ``value`` is another filter."""
        if not value.startswith("base_model:"):
            return None
        rest = value[len("base_model:") :]
        relation, _, model_id = rest.partition(":")
        if relation not in RELATIONS[1:] or not model_id:
            relation, model_id = "", rest
        parent = self.source.lookup(model_id)
        return [] if parent is None else self.children(parent, relation or None)

    def search(self, term: str) -> list[int] | None:
        """Models whose id contains ``term`` (case-insensitive), or None when too many to index."""
        if self._id_text is None:
            self._id_text = IdText(self.source.model_id, len(self.columns))
        return self._id_text.matching(term, len(self.columns))

    # -- pages ---------------------------------------------------------------------------------

    def sort_key(self, sort: str | None, index: int) -> int:
        if sort is None:
            return index
        return int(getattr(self.columns, _SORT_COLUMNS[sort])[index])

    def _selection(self, sort: str | None, candidates: Callable[[], list[int]], key: Hashable) -> list[Position]:
        """``(sort key, index)`` of the candidates, ascending; kept for the next pages until the hub changes."""
        cache_key = (key, sort)
        cached = self._selections.get(cache_key)
        if cached is not None and cached[0] == self._generation:
            self._selections.move_to_end(cache_key)
            return cached[1]
        keyed = sorted((self.sort_key(sort, i), i) for i in set(candidates()))
        self._selections[cache_key] = (self._generation, keyed)
        while len(self._selections) > _CACHED_SELECTIONS:
            self._selections.popitem(last=False)
        return keyed

    def ordered(
        self,
        sort: str | None,
        after: Position | None,
        candidates: Callable[[], list[int]] | None = None,
        selection_key: Hashable = None,
    ) -> Iterator[int]:
        """Indices in listing order, strictly after ``after``; only ``candidates()`` when given."""
        if candidates is not None:
            keyed = self._selection(sort, candidates, selection_key)
            if sort is None:
                start = 0 if after is None else bisect.bisect_right(keyed, after)
                yield from (index for _, index in keyed[start:])
            else:
                stop = len(keyed) if after is None else bisect.bisect_left(keyed, after)
                yield from (keyed[p][1] for p in range(stop - 1, -1, -1))
            return
        if sort is None:
            yield from range(0 if after is None else after[1] + 1, len(self.columns))
            return
        yield from self._orders[sort].after(after)

    def page(
        self,
        *,
        sort: str | None,
        after: Position | None,
        limit: int,
        candidates: Callable[[], list[int]] | None = None,
        selection_key: Hashable = None,
        accept: Callable[[int], bool] | None = None,
    ) -> tuple[list[int], bool]:
        """Up to ``limit`` live indices after ``after``, and whether more follow.

        ``candidates`` (with a ``selection_key`` naming them) restricts the listing to an indexed
        selection; its sorted form is cached until the hub changes, so its next pages are cheap."""
        deleted = self.columns.deleted
        found: list[int] = []
        for index in self.ordered(sort, after, candidates, selection_key):
            if deleted[index] or (accept is not None and not accept(index)):
                continue
            if len(found) == limit:
                return found, True
            found.append(index)
        return found, False
