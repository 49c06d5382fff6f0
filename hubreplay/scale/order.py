"""Listing orders with keyset cursors that stay stable while the hub changes.

An order is descending ``(key, index)``. It is built once as a permutation of the indices plus a
copy of the keys at build time; a model whose key changes later (or a model added later) goes
into a small sorted overlay, and its old place in the permutation is skipped because the live key
no longer matches the copied one. A page resumes strictly after the last ``(key, index)`` it
gave, so changes between pages neither skip nor repeat a model whose key did not change.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator

__all__ = ["KeyOrder", "descending_permutation"]

Position = tuple[int, int]


def descending_permutation(keys: array) -> array:
    """Indices sorted by ``(keys[i], i)`` descending (a stable sort of the reversed range)."""
    order = sorted(range(len(keys) - 1, -1, -1), key=keys.__getitem__, reverse=True)
    return array("I", order)


class KeyOrder:
    """Descending ``(key, index)`` order over a live key column."""

    def __init__(self, keys: array, permutation: array) -> None:
        self._keys = keys
        self._perm = permutation
        self._perm_keys = array(keys.typecode, map(keys.__getitem__, permutation))
        self._overlay: list[Position] = []

    @classmethod
    def build(cls, keys: array, *, ascending_by_index: bool = False) -> KeyOrder:
        """``ascending_by_index``: the keys never decrease with the index, so no sort is needed."""
        if ascending_by_index:
            return cls(keys, array("I", range(len(keys) - 1, -1, -1)))
        return cls(keys, descending_permutation(keys))

    def key(self, index: int) -> int:
        return int(self._keys[index])

    def moved(self, index: int) -> None:
        """Record that ``index`` has a new key (or is new): it is listed at its new place from now on."""
        bisect.insort(self._overlay, (int(self._keys[index]), index))

    def after(self, cursor: Position | None) -> Iterator[int]:
        """Indices in descending order, strictly after ``cursor`` (from the top when None)."""
        base = self._base_after(cursor)
        overlay = self._overlay_after(cursor)
        head_b = next(base, None)
        head_o = next(overlay, None)
        while head_b is not None or head_o is not None:
            if head_o is None or (head_b is not None and head_b > head_o):
                assert head_b is not None
                yield head_b[1]
                head_b = next(base, None)
            else:
                yield head_o[1]
                head_o = next(overlay, None)

    def _base_after(self, cursor: Position | None) -> Iterator[Position]:
        perm, perm_keys, keys = self._perm, self._perm_keys, self._keys
        start = 0
        if cursor is not None:
            lo, hi = 0, len(perm)
            while lo < hi:
                mid = (lo + hi) // 2
                if (perm_keys[mid], perm[mid]) >= cursor:
                    lo = mid + 1
                else:
                    hi = mid
            start = lo
        for position in range(start, len(perm)):
            index = perm[position]
            key = perm_keys[position]
            if keys[index] == key:
                yield key, index

    def _overlay_after(self, cursor: Position | None) -> Iterator[Position]:
        overlay, keys = self._overlay, self._keys
        position = len(overlay) if cursor is None else bisect.bisect_left(overlay, cursor)
        seen: set[int] = set()
        for key, index in reversed(overlay[:position]):
            if keys[index] == key and index not in seen:
                seen.add(index)
                yield key, index
