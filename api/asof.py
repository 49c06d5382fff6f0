"""The ``asOf`` argument shared by the GraphQL domains: an instant in UTC, never in the future.

An unparsable value never reaches a resolver (the ``DateTime`` scalar refuses it with a
validation error); a naive one is read as UTC; one after now is a ``BAD_USER_INPUT`` error
naming the argument, as the REST endpoints answer 422 for it (:func:`reports.dossier.check_as_of`).
"""

from __future__ import annotations

from datetime import datetime

from api.errors import BadUserInput
from reports.dossier.asof import check_as_of
from reports.dossier.errors import InvalidAsOf

__all__ = ["checked_as_of"]


def checked_as_of(as_of: datetime | None) -> datetime | None:
    """``as_of`` in UTC (None stays None: now); BAD_USER_INPUT when it lies in the future."""
    try:
        return check_as_of(as_of)
    except InvalidAsOf as exc:
        raise BadUserInput(str(exc), argument="asOf") from exc
