"""One dump row as the Hub's JSON for one listed model — the item ``huggingface_hub.ModelInfo(**item)`` reads.

One difference: ``createdAt`` and ``lastModified`` are UTC datetimes, not the Hub's text (the dump
stores timestamps; :func:`model_info` hands them to ModelInfo as the datetimes it would parse).

Pure functions, no I/O. A value of the wrong shape is left out of the item and described as a
:class:`RowProblem` (the import records it on the model as a ``ProblemSeen`` and in its report
with the row number); the rest of the row is still used. A row without a valid id gives no item.

``baseModels`` (the Hub's own reading of the card's base models, ``{"relation": "quantized",
"models": [{"id": "org/base"}]}``) is used only when the row's tags carry no ``base_model:`` tag:
it becomes the tags the Hub would have listed (``base_model:<relation>:<id>``), so the lineage it
gives is the same evidence, read by the same parser (``crawler.listing.observe_listed``). When the
tags have ``base_model:`` tags, ``baseModels`` says nothing more and is not read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from huggingface_hub import ModelInfo
from huggingface_hub.utils import parse_datetime

from crawler.observations import ProblemKind
from crawler.parsing import check_repo_id, parse_relation
from dumps.columns import COLUMNS, Kind

__all__ = ["TIME_KEYS", "RowProblem", "hub_item", "model_info"]

TIME_KEYS = ("createdAt", "lastModified")

_MAX_SHOWN = 160
_GATES = ("auto", "manual", "false", "true")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Something wrong with one row (the import adds the row number and the model id)."""

    kind: ProblemKind
    message: str


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _is_arrow_map(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(p, tuple) and len(p) == 2 for p in value)


def _as_json(value: Any) -> Any:
    """Arrow's Python form as the Hub's JSON: a struct has every field of the file's schema (the Hub's JSON
    only those set), a map column is a list of (key, value) pairs (the Hub's JSON an object)."""
    if _is_arrow_map(value):
        value = dict(value)
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def _mapping(key: str, value: object) -> tuple[dict[str, Any] | None, str | None]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            return None, f"{key} is not JSON ({exc.msg} at {exc.pos}): {_shown(value)}"
    value = _as_json(value)
    if value is None:  # JSON text "null": no value, as a null cell
        return None, None
    if not isinstance(value, Mapping):
        return None, f"{key} is a {type(value).__name__}, not an object: {_shown(value)}"
    return dict(value), None


def _tags(value: object) -> tuple[list[Any] | None, str | None]:
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if not isinstance(value, list):
        return None, f"tags is a {type(value).__name__}, not a list: {_shown(value)}"
    return value, None


def _time(key: str, value: object) -> tuple[datetime | None, str | None]:
    """A UTC datetime (kept as one: ModelInfo would parse the Hub's text form back, a third of the row's cost)."""
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:
            return None, f"{key} is not an ISO 8601 UTC time: {_shown(value)}"
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC), None
    return None, f"{key} is a {type(value).__name__}, not a time: {_shown(value)}"


def _value(key: str, kind: Kind, value: object) -> tuple[Any, str | None]:
    """The value as the Hub's JSON has it, or (None, why it cannot be used)."""
    if kind is Kind.TEXT:
        return (value, None) if isinstance(value, str) else (None, f"{key} is a {type(value).__name__}, not text: {_shown(value)}")
    if kind is Kind.COUNT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        return None, f"{key} is a {type(value).__name__}, not an integer: {_shown(value)}"
    if kind is Kind.TIME:
        return _time(key, value)
    if kind is Kind.TAGS:
        return _tags(value)
    if kind is Kind.MAPPING:
        return _mapping(key, value)
    if kind is Kind.GATE:
        if isinstance(value, bool) or (isinstance(value, str) and value.lower() in _GATES):
            return value if isinstance(value, bool) else value.lower(), None
        return None, f"gated is {_shown(value)}, not false, 'auto' or 'manual'"
    return value, None


def _base_model_tags(base_models: Mapping[str, Any]) -> tuple[list[str], str | None]:
    relation = parse_relation(base_models.get("relation"))
    models = base_models.get("models")
    if not isinstance(models, list):
        return [], f"baseModels.models is not a list: {_shown(models)}"
    tags: list[str] = []
    for entry in models:
        parent = entry.get("id") if isinstance(entry, Mapping) else entry
        if check_repo_id(parent) is not None:
            return [], f"baseModels names {_shown(parent)}, not a model id"
        tags.append(f"base_model:{relation.value}:{parent}" if relation is not None else f"base_model:{parent}")
    return tags, None


def hub_item(row: Mapping[str, Any], columns: Mapping[str, str]) -> tuple[dict[str, Any] | None, list[RowProblem]]:
    """The Hub JSON of one row (None when the row has no valid id) and the problems found reading it.

    ``columns``: Hub key → the dump's column name (:func:`dumps.columns.find_columns`).
    """
    problems: list[RowProblem] = []
    raw_id = row.get(columns["id"])
    reason = check_repo_id(raw_id) if raw_id is not None else "no id"
    if reason is not None:
        return None, [RowProblem(ProblemKind.INVALID_REPO_ID, f"id: {reason}")]
    item: dict[str, Any] = {"id": raw_id}
    for column in COLUMNS[1:]:
        name = columns.get(column.key)
        value = row.get(name) if name is not None else None
        if value is None:
            continue
        used, why = _value(column.key, column.kind, value)
        if why is not None:
            problems.append(RowProblem(ProblemKind.MALFORMED_CARD, why))
        elif used is not None:
            item[column.key] = used
    safetensors = item.get("safetensors")
    if safetensors is not None and not {"parameters", "total"} <= safetensors.keys():
        problems.append(RowProblem(ProblemKind.MALFORMED_CARD, f"safetensors lacks parameters/total: {_shown(safetensors)}"))
        del item["safetensors"]
    base_models = item.pop("baseModels", None)
    tags = item.get("tags") or []
    if base_models and not any(isinstance(t, str) and t.startswith("base_model:") for t in tags):
        extra, why = _base_model_tags(base_models)
        if why is not None:
            problems.append(RowProblem(ProblemKind.INVALID_BASE_MODEL, why))
        if extra:
            item["tags"] = [*tags, *extra]
    return item, problems


def model_info(item: dict[str, Any]) -> ModelInfo:
    """``ModelInfo(**item)`` with the item's datetimes set as the attributes ModelInfo parses its text into."""
    times = {key: item[key] for key in TIME_KEYS if key in item}
    info = ModelInfo(**{k: v for k, v in item.items() if k not in times})
    info.created_at = times.get("createdAt")
    info.last_modified = info.lastModified = times.get("lastModified")
    return info
