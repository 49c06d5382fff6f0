"""Time and version helpers: how facts are kept as versions and read ``as_of`` an instant.

Versioned facts in the graph:

* ``DECLARES`` (model → licence) and ``PUBLISHED`` (party → model) relationships: at most one
  open version per model (``valid_to`` null); a change closes it (``valid_to`` = time of the
  observation that saw the change) and opens another (``valid_from`` = that same time).
* ``DERIVED_FROM`` relationships: one open version per (child, parent); a later *full*
  observation of the child without that parent closes it; seeing it again opens a new one.
* ``Model.status`` and ``Model.gated``: parallel list properties ``status_history`` /
  ``status_valid_from`` and ``gate_history`` / ``gate_valid_from`` (a value holds from its
  instant until the next one); ``status`` and ``gated`` hold the current value for filters.

Observations older than the newest version of a fact never rewrite it (a late, redelivered
observation adds evidence but cannot reorder history). A fact is valid at ``t`` when
``valid_from <= t < valid_to`` (or ``valid_to`` is null).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

__all__ = ["Version", "to_micros", "to_utc", "valid_at", "value_at", "versions"]

T = TypeVar("T")


def to_utc(value: Any) -> datetime:
    """A timezone-aware UTC datetime from a Python or neo4j temporal value (naive = UTC),
    or from epoch microseconds (what read statements return, see graph.statements.reads.US)."""
    if type(value) is datetime and value.tzinfo is UTC:  # the common case, kept cheap (writes call this a lot)
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(microseconds=value)
    if hasattr(value, "to_native"):
        value = value.to_native()
    if not isinstance(value, datetime):
        raise TypeError(f"not a datetime: {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch (UTC), the wire form of times in write parameters.

    The driver's conversion of Python datetimes costs ~100 µs each; writes send integers and
    statements turn them back into ``datetime`` values (see graph.statements.write.DT).
    """
    micros = (to_utc(value) - _EPOCH) // _MICROSECOND
    if micros < 0:
        raise ValueError(f"times before 1970 are not accepted: {value!r}")
    return micros


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def valid_at(valid_from: Any, valid_to: Any, as_of: datetime | None) -> bool:
    """Whether a version is in force at ``as_of`` (None = now: open versions only)."""
    if as_of is None:
        return valid_to is None
    if valid_from is not None and to_utc(valid_from) > as_of:
        return False
    return valid_to is None or to_utc(valid_to) > as_of


@dataclass(frozen=True, slots=True)
class Version(Generic[T]):
    value: T
    valid_from: datetime
    valid_to: datetime | None


def versions(values: Sequence[T] | None, starts: Sequence[Any] | None) -> list[Version[T]]:
    """Versions from the parallel history lists of a node property."""
    vals = list(values or [])
    froms = [to_utc(s) for s in (starts or [])]
    out: list[Version[T]] = []
    for i, (value, start) in enumerate(zip(vals, froms, strict=False)):
        end = froms[i + 1] if i + 1 < len(froms) else None
        out.append(Version(value, start, end))
    return out


def value_at(values: Sequence[T] | None, starts: Sequence[Any] | None, as_of: datetime | None) -> T | None:
    """The value of a history-list property at ``as_of`` (None = the latest value)."""
    hist = versions(values, starts)
    if not hist:
        return None
    if as_of is None:
        return hist[-1].value
    current: T | None = None
    for version in hist:
        if version.valid_from <= as_of:
            current = version.value
    return current
