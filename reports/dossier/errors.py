"""Errors raised while assembling an investigation dossier.

They extend the graph hierarchy (:mod:`graph.errors`) so that callers handling graph errors
handle these too; none of them is retryable (the same question gets the same answer).

Hierarchy::

    GraphPermanentError (graph.errors)
    ├── InvalidArgument (graph.errors)
    │   └── InvalidAsOf          the as-of instant is unparsable or in the future
    └── ModelNotFound (graph.errors)
        ├── NotKnownAtInstant (graph.errors)  nothing of the model is known before a later instant
        └── UnknownFile          no model in the graph holds a file with this sha256
"""

from __future__ import annotations

from graph.errors import InvalidArgument, ModelNotFound, NotKnownAtInstant

__all__ = ["InvalidAsOf", "NotKnownAtInstant", "UnknownFile"]


class InvalidAsOf(InvalidArgument):
    """The as-of instant cannot be used: the message says what is wrong with it."""


class UnknownFile(ModelNotFound):
    """No model holds a file with this sha256 (at the as-of instant, when one is given)."""

    def __init__(self, sha256: str) -> None:
        super().__init__(sha256)
        self.args = (f"no model in the graph holds a file with sha256 {sha256!r}",)
        self.sha256 = sha256
