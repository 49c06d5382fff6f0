"""The one table from a dump's column names to the Hub API's JSON keys.

The shape followed is the one of the public weekly/daily Hub snapshot
``https://huggingface.co/datasets/cfahlgren1/hub-stats`` (``models.parquet``: one row per model,
written from the Hub's ``/api/models`` listing, camelCase keys as the API returns them — ``id``,
``author``, ``sha``, ``createdAt``, ``lastModified``, ``gated``, ``downloads``, ``likes``,
``library_name``, ``pipeline_tag``, ``tags``, ``cardData``, ``safetensors`` …) and, for
``baseModels``, the Hub API's ``GET /api/models?expand[]=baseModels`` (``{"relation": …,
"models": [{"id": …}]}``). Re-exports of the same data with snake_case names (``created_at``,
``last_modified``, ``card_data``, ``base_models``) are accepted too: every accepted name is in
:data:`COLUMNS`, nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["COLUMNS", "Column", "Kind", "find_columns"]


class Kind(enum.Enum):
    """What a column's value must be (after reading it from Arrow) for the row to use it."""

    ID = "id"  # a valid Hub model id
    TEXT = "text"  # a string
    COUNT = "count"  # an integer
    TIME = "time"  # a timestamp, or an ISO 8601 string as the Hub writes it
    TAGS = "tags"  # a list of strings (or a JSON text of one)
    MAPPING = "mapping"  # a struct, or a JSON text of an object
    GATE = "gate"  # false | "auto" | "manual" (a bool or a string)


@dataclass(frozen=True, slots=True)
class Column:
    """One Hub JSON key, the dump column names that carry it (first found wins), and what it must hold."""

    key: str
    names: tuple[str, ...]
    kind: Kind
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", ("id", "modelId"), Kind.ID, required=True),
    Column("tags", ("tags",), Kind.TAGS, required=True),
    Column("cardData", ("cardData", "card_data"), Kind.MAPPING),
    Column("baseModels", ("baseModels", "base_models"), Kind.MAPPING),
    Column("author", ("author",), Kind.TEXT),
    Column("sha", ("sha",), Kind.TEXT),
    Column("createdAt", ("createdAt", "created_at"), Kind.TIME),
    Column("lastModified", ("lastModified", "last_modified"), Kind.TIME),
    Column("downloads", ("downloads",), Kind.COUNT),
    Column("likes", ("likes",), Kind.COUNT),
    Column("gated", ("gated",), Kind.GATE),
    Column("library_name", ("library_name", "libraryName"), Kind.TEXT),
    Column("pipeline_tag", ("pipeline_tag", "pipelineTag"), Kind.TEXT),
    Column("safetensors", ("safetensors",), Kind.MAPPING),
    Column("gguf", ("gguf",), Kind.MAPPING),
)
"""Read in this order. ``id`` and ``tags`` are required: the Hub computes its ``base_model:`` and
``license:`` tags from the card, so a dump without tags would give models with neither lineage nor
licence unless it has cardData — and silently so. Every other column is optional."""


def find_columns(found: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(Hub key → dump column name for the columns present, names of required columns that are absent)."""
    present = set(found)
    chosen: dict[str, str] = {}
    missing: list[str] = []
    for column in COLUMNS:
        name = next((n for n in column.names if n in present), None)
        if name is not None:
            chosen[column.key] = name
        elif column.required:
            missing.append(" or ".join(column.names) if len(column.names) > 1 else column.key)
    return chosen, missing
