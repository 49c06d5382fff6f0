"""``search=`` (a substring of the id, case-insensitive) answered from one block of text.

The ids of all models are written once, lower-cased and newline-separated, into one ``bytes``
object with an array of where each starts; a search is then ``bytes.find`` at C speed instead of
rendering every id. Built on the first search (at 3 M synthetic models: ~150 MB, some seconds),
not at start-up. Models added later are checked one by one. A term matching more than
``MAX_MATCHES`` models returns None: the listing then tests models in its own order, which stops
early because matches are common.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable
from typing import Final

__all__ = ["MAX_MATCHES", "IdText"]

MAX_MATCHES: Final = 20_000


class IdText:
    """Lower-cased ids of models ``0 … count - 1`` in one block, for substring search."""

    def __init__(self, model_id: Callable[[int], str], count: int) -> None:
        self._model_id = model_id
        self.count = count
        starts = array("Q")
        chunks: list[bytes] = []
        position = 0
        for index in range(count):
            encoded = model_id(index).lower().encode("utf-8") + b"\n"
            starts.append(position)
            chunks.append(encoded)
            position += len(encoded)
            if len(chunks) >= 65_536:
                chunks = [b"".join(chunks)]
        self._text = b"".join(chunks)
        self._starts = starts

    def matching(self, term: str, total: int) -> list[int] | None:
        """Indices whose id contains ``term`` (among ``total`` models), or None if there are too many."""
        needle = term.lower().encode("utf-8")
        if not needle or b"\n" in needle:
            return []
        found: list[int] = []
        text, starts = self._text, self._starts
        position = text.find(needle)
        while position != -1:
            index = bisect.bisect_right(starts, position) - 1
            found.append(index)
            if len(found) > MAX_MATCHES:
                return None
            following = starts[index + 1] if index + 1 < self.count else len(text)
            position = text.find(needle, following)
        lowered = term.lower()
        found.extend(i for i in range(self.count, total) if lowered in self._model_id(i).lower())
        return found if len(found) <= MAX_MATCHES else None
