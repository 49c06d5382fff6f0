"""How a dossier writes instants: ISO 8601 UTC with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_instant"]


def format_instant(value: datetime) -> str:
    """An instant as ISO 8601 UTC with a ``Z`` (microseconds only when not zero)."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
