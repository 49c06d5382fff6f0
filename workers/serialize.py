"""Observations to JSON and back, so that tasks pass plain JSON (never pickles) between queues.

Each observation becomes ``{"type": "<ClassName>", <field>: <value>, …}`` with enums as their
values, datetimes as ISO 8601 strings (offset kept), tuples as lists and nested data classes
(:class:`~crawler.observations.Source`, :class:`~crawler.observations.DeclaredLicense`) as
objects. Decoding uses the dataclasses' own type hints, so a field added to the contract (with
a default, at the end) is carried without a change here; an unknown type or field raises :class:`~workers.errors.PayloadError`.

The crawler has no reusable codec for observations: ``hubreplay.snapshot.serialize`` writes Hub
payloads (``ModelInfo`` back to the Hub's wire shape) and the golden tests only encode one way.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crawler.observations import (
    AliasSeen,
    DeclarationHistory,
    DeploymentSeen,
    DerivationSeen,
    FileSeen,
    ModelSeen,
    Observation,
    ProblemSeen,
)
from workers.errors import PayloadError

__all__ = ["dumps", "from_json", "loads", "to_json"]

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (ModelSeen, DerivationSeen, DeploymentSeen, FileSeen, AliasSeen, ProblemSeen, DeclarationHistory)
}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def to_json(observation: Observation) -> dict[str, Any]:
    """One observation as a JSON-ready dict."""
    name = type(observation).__name__
    if name not in _TYPES:
        raise PayloadError(f"not an observation: {observation!r}")
    data = _plain(observation)
    data["type"] = name
    return data  # type: ignore[no-any-return]


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _value(hint: Any, raw: Any, where: str) -> Any:
    if raw is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            raise PayloadError(f"{where}: cannot decode a value of type {hint}")
        return _value(options[0], raw, where)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(raw, list):
            raise PayloadError(f"{where}: expected a list, got {type(raw).__name__}")
        return tuple(_value(args[0], item, where) for item in raw)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            try:
                return hint(raw)
            except ValueError as exc:
                raise PayloadError(f"{where}: {raw!r} is not a {hint.__name__}") from exc
        if hint is datetime:
            try:
                return datetime.fromisoformat(raw)
            except (TypeError, ValueError) as exc:
                raise PayloadError(f"{where}: {raw!r} is not an ISO 8601 time") from exc
        if dataclasses.is_dataclass(hint):
            return _dataclass(hint, raw, where)
        if hint is float and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if not isinstance(raw, hint):
            raise PayloadError(f"{where}: expected {hint.__name__}, got {type(raw).__name__}")
        return raw
    raise PayloadError(f"{where}: cannot decode a value of type {hint}")


def _dataclass(cls: type[Any], raw: Any, where: str) -> Any:
    if not isinstance(raw, Mapping):
        raise PayloadError(f"{where}: expected an object for {cls.__name__}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(raw) - names - {"type"}
    if unknown:
        raise PayloadError(f"{where}: unknown fields {sorted(unknown)} for {cls.__name__}")
    kwargs = {name: _value(hints[name], raw[name], f"{where}.{name}") for name in names if name in raw}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise PayloadError(f"{where}: {exc}") from exc


def from_json(data: Mapping[str, Any]) -> Observation:
    """The observation a :func:`to_json` dict stands for."""
    name = data.get("type")
    cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise PayloadError(f"unknown observation type {name!r}")
    return _dataclass(cls, data, cls.__name__)  # type: ignore[no-any-return]


def dumps(observations: Iterable[Observation]) -> str:
    """A JSON array of observations."""
    return json.dumps([to_json(o) for o in observations], separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> list[Observation]:
    """Observations from a :func:`dumps` array."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise PayloadError("expected a JSON array of observations")
    return [from_json(item) for item in raw]
