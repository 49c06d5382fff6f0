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
  A status change is recorded only from an observation newer than every earlier one.

Observations older than the newest version of a fact never rewrite it (a late, redelivered
observation adds evidence but cannot reorder history): a DECLARES/PUBLISHED change closes the
open version only when the observation is newer than both its ``valid_from`` and its
``first_seen`` (the first observation of it). A fact is valid at ``t`` when
``valid_from <= t < valid_to`` (or ``valid_to`` is null).

Versions dated by commit history (``DeclarationHistory``, see crawler.history): DECLARES and
DERIVED_FROM versions are *valid time* — ``valid_from`` / ``valid_to`` are the dates of the
commits that made and changed the declaration when the Hub's commit history is known, and the
observation time otherwise; ``first_seen`` / ``observed_at`` / ``last_seen`` stay observation
times. :func:`plan_dated` applies a history to the stored versions of one fact (one model's
DECLARES, or one child → parent DERIVED_FROM), newest segment first:

* a stored version of the same target that started while the segment was in force
  (``segment.from <= version.from <= segment.to``) has its ``valid_from`` moved back to the
  segment's commit date, and the version before it (if it ended exactly then, and began before
  the segment) ends at that date too; a version of another target observed inside the segment
  blocks the move (what was observed is not overwritten);
* a closed segment no stored version explains and that overlaps none is inserted, closed
  (``dated_by = "commit"``, its revision and card URL as evidence);
* a history never opens a version: the open one is the current observation's;
* the model's first status version, when it is ``available`` or ``gated``, starts at the oldest
  commit examined (the repo existed then);
* a segment already applied (a version of that target starting at its date) changes nothing,
  so writing the same history twice changes nothing; dates only ever move earlier, and the
  order of the versions is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

__all__ = [
    "DatedPlan",
    "DatedSegment",
    "StoredVersion",
    "Version",
    "from_micros",
    "plan_dated",
    "to_iso",
    "to_micros",
    "to_utc",
    "valid_at",
    "value_at",
    "versions",
]

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


def to_iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC with a ``Z`` (how change records, events and deliveries write times)."""
    return None if value is None else to_utc(value).isoformat().replace("+00:00", "Z")


def from_micros(value: int | str | None) -> datetime | None:
    """The UTC datetime of epoch microseconds as reads return them (graph.statements.reads.US); None stays None."""
    if value is None:
        return None
    return _EPOCH + int(value) * _MICROSECOND


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


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A stored version of one fact: its relationship's element id, target and valid time."""

    element_id: str
    target: str
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True, slots=True)
class DatedSegment:
    """A span of a commit history during which the card declared ``target``."""

    target: str
    valid_from: datetime
    valid_to: datetime | None
    revision: str
    url: str
    props: dict[str, Any] = field(default_factory=dict)  # what an inserted version carries (raw licence, relation)


@dataclass
class DatedPlan:
    """What :func:`plan_dated` changes: ``moves`` (element id → new valid_from, and the segment
    that dates it), ``ends`` (element id → new valid_to), ``inserts`` (closed segments to create)."""

    moves: dict[str, tuple[datetime, DatedSegment]]
    ends: dict[str, datetime]
    inserts: list[DatedSegment]

    def __bool__(self) -> bool:
        return bool(self.moves or self.ends or self.inserts)


def plan_dated(stored: Sequence[StoredVersion], segments: Sequence[DatedSegment]) -> DatedPlan:
    """How a commit history dates the stored versions of one fact (rules in the module docstring)."""
    plan = DatedPlan({}, {}, [])
    current = [StoredVersion(v.element_id, v.target, to_utc(v.valid_from), _opt_utc(v.valid_to)) for v in stored]
    for seg in sorted(segments, key=lambda s: s.valid_from, reverse=True):
        start, end = to_utc(seg.valid_from), _opt_utc(seg.valid_to)
        if any(v.target == seg.target and v.valid_from == start for v in current):
            continue  # already applied
        started_inside = [
            v for v in current
            if v.target == seg.target and start <= v.valid_from and (end is None or v.valid_from <= end)
        ]
        if started_inside:
            version = min(started_inside, key=lambda v: v.valid_from)
            others = [
                v for v in current
                if v.target != seg.target and v.valid_from >= start and v.valid_from < version.valid_from
            ]
            if others:
                continue  # something else was observed while the history says this: observation wins
            before = [v for v in current if v.valid_to == version.valid_from and v.element_id != version.element_id]
            if any(v.valid_from >= start for v in before):
                continue
            plan.moves[version.element_id] = (start, seg)
            for v in before:
                plan.ends[v.element_id] = start
            current = [
                StoredVersion(v.element_id, v.target, start if v is version else v.valid_from,
                              start if v in before else v.valid_to)
                for v in current
            ]
            continue
        if end is None:
            continue  # a history never opens a version
        if any(start < (v.valid_to or _FAR) and v.valid_from < end for v in current):
            continue
        plan.inserts.append(seg)
        current.append(StoredVersion(f"new:{len(plan.inserts)}", seg.target, start, end))
    return plan


_FAR = datetime.max.replace(tzinfo=UTC)


def _opt_utc(value: Any) -> datetime | None:
    return None if value is None else to_utc(value)
