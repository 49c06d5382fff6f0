"""Errors of the propagation engine.

Hierarchy::

    PropagationError
    └── UnknownModelError   permanent: a requested model id is not in the lineage view

Bad lineage data (unknown licences, cycles, dangling parents …) is never an error: the engine
answers with ``unknown`` parts and gap warnings instead.
"""

from __future__ import annotations

__all__ = ["PropagationError", "UnknownModelError"]


class PropagationError(Exception):
    """Base class of every error raised by ``terms.propagation``."""


class UnknownModelError(PropagationError, KeyError):
    """A requested model id is not part of the lineage view."""
