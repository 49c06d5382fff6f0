"""What a GraphQL field's selection asks for, so a resolver can read everything it needs at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

__all__ = ["selects_any"]


def selects_any(info: Any, names: frozenset[str]) -> bool:
    """Whether the field being resolved selects, directly or through fragments, any of ``names``."""
    return any(_selects(field.selections, names) for field in info.selected_fields)


def _selects(selections: Iterable[Any], names: frozenset[str]) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name in names:
                return True
        elif isinstance(selection, (FragmentSpread, InlineFragment)) and _selects(selection.selections, names):
            return True
    return False
