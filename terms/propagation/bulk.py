"""Bulk helpers: pausing the cyclic collector, and property rows ready for one ``UNWIND``."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypedDict

from terms.propagation.result import PropagationResult, Properties

__all__ = ["PropertyRow", "no_cyclic_gc", "property_rows"]


class PropertyRow(TypedDict):
    id: str
    props: Properties


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk pass.

    A pass allocates millions of small acyclic objects; with the collector on, repeated full
    collections over the growing heap make the pass quadratic (measured on 100,000 models:
    55 s instead of 13 s under load). Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def property_rows(results: Iterable[PropagationResult]) -> list[PropertyRow]:
    """``[{"id": model id, "props": {eff_* …}}]`` for ``UNWIND $rows AS row … SET m += row.props``."""
    with no_cyclic_gc():
        return [{"id": r.model_id, "props": r.to_properties()} for r in results]
