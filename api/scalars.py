"""The ``DateTime`` scalar: ISO 8601 in and out, and a clear error with the accepted forms for anything else.

Strawberry's own parser (``dateutil.isoparse``) answers a bad value with the parser's internals
("invalid literal for int() with base 10: b'yest'"); this one says which forms are accepted, the
same sentence the REST endpoints and the CLI use (:func:`reports.dossier.asof.parse_instant`).
A date alone means 00:00 UTC that day; an instant without an offset is read as UTC. Whether an
instant may lie in the future is the field's business (``asOf`` refuses it: :mod:`api.asof`).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from reports.dossier.asof import parse_instant
from reports.dossier.errors import InvalidAsOf

__all__ = ["DATETIME", "SCALAR_MAP"]

_BAD_INPUT = {"code": "BAD_USER_INPUT"}


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(
            f"DateTime must be a string (ISO 8601), got {type(value).__name__}", extensions=_BAD_INPUT
        )
    try:
        return parse_instant(value, name="DateTime")
    except InvalidAsOf as exc:
        raise StrawberryInputCoercionError(str(exc), extensions=_BAD_INPUT) from None


DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="An instant, ISO 8601 (e.g. 2024-09-01T00:00:00Z; a date alone, 2024-09-01, is 00:00 UTC that day).",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {datetime: DATETIME}
"""For ``StrawberryConfig(scalar_map=...)``."""
