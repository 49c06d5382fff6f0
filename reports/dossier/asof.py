"""The as-of instant of a dossier: parsed from text (CLI option, query parameter) and checked.

Accepted forms: an ISO 8601 instant (``2024-09-01T12:00:00Z``, ``2024-09-01T12:00:00+02:00``,
fractions of a second allowed; without an offset it is taken as UTC) or a date
(``2024-09-01``, meaning 00:00 UTC that day). A ``+`` that a URL turned into a space before
the offset is put back. Instants after "now" are refused: the graph cannot answer for them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from reports.dossier.errors import InvalidAsOf
from reports.dossier.times import format_instant

__all__ = ["EXAMPLES", "check_as_of", "format_instant", "parse_as_of", "parse_instant"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACE_OFFSET = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_MAX_LEN = 64
EXAMPLES = "e.g. 2024-09-01T00:00:00Z or 2024-09-01"
"""The accepted forms, as every error about an instant shows them."""


def parse_as_of(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """The instant named by ``value`` in UTC (None for no value); InvalidAsOf says what is wrong."""
    if value is None or not value.strip():
        return None
    return check_as_of(parse_instant(value, name="as-of"), now=now)


def parse_instant(value: str, *, name: str) -> datetime:
    """The instant named by ``value`` (an ISO 8601 instant or date) in UTC, the future allowed;
    InvalidAsOf names ``name`` and shows the accepted forms."""
    text = value.strip()
    if len(text) > _MAX_LEN:
        raise InvalidAsOf(f"{name} must be an ISO 8601 instant or date ({EXAMPLES}); got {len(text)} characters")
    spaced = _SPACE_OFFSET.match(text)
    if spaced:
        text = f"{spaced.group(1)}+{spaced.group(2)}"
    try:
        if _DATE.match(text):
            parsed = datetime.fromisoformat(text).replace(tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise InvalidAsOf(f"{name} {text!r} is not an ISO 8601 instant or date ({EXAMPLES})") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def check_as_of(as_of: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """``as_of`` in UTC (naive = UTC); InvalidAsOf when it lies after ``now``."""
    if as_of is None:
        return None
    instant = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    current = now or datetime.now(UTC)
    if instant > current:
        raise InvalidAsOf(
            f"as-of {format_instant(instant)} is in the future (now is {format_instant(current)}); "
            f"the graph can only answer for instants up to now ({EXAMPLES})"
        )
    return instant

