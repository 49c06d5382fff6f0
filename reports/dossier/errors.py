"""Errors raised while assembling an investigation dossier.

They extend the graph hierarchy (:mod:`graph.errors`) so that callers handling graph errors
handle these too; none of them is retryable (the same question gets the same answer).

Hierarchy::

    GraphPermanentError (graph.errors)
    ├── InvalidArgument (graph.errors)
    │   └── InvalidAsOf          the as-of instant is unparsable or in the future
    └── ModelNotFound (graph.errors)
        ├── NotYetKnown          the model was first observed after the as-of instant
        └── UnknownFile          no model in the graph holds a file with this sha256
"""

from __future__ import annotations

from datetime import datetime

from graph.errors import InvalidArgument, ModelNotFound
from reports.dossier.times import format_instant

__all__ = ["InvalidAsOf", "NotYetKnown", "UnknownFile"]


class InvalidAsOf(InvalidArgument):
    """The as-of instant cannot be used: the message says what is wrong with it."""


class NotYetKnown(ModelNotFound):
    """The graph holds the model, but its first observation is later than the as-of instant."""

    def __init__(self, model_id: str, first_seen: datetime, as_of: datetime) -> None:
        super().__init__(model_id)
        message = (
            f"model {model_id!r} was first observed at {format_instant(first_seen)}, "
            f"after the as-of instant {format_instant(as_of)}"
        )
        self.args = (message,)
        self.first_seen = first_seen
        self.as_of = as_of


class UnknownFile(ModelNotFound):
    """No model holds a file with this sha256 (at the as-of instant, when one is given)."""

    def __init__(self, sha256: str) -> None:
        super().__init__(sha256)
        self.args = (f"no model in the graph holds a file with sha256 {sha256!r}",)
        self.sha256 = sha256
