"""Errors of the replay hub.

Hierarchy::

    ReplayError
    ├── ReplayConfigError    a fault or server setting is invalid (permanent: fix the input)
    ├── ReplayStartError     the server did not come up (port taken, snapshot unreadable)
    └── EditRefusedError     an edit of POST /_replay/changes conflicts with the hub (unknown id, id taken,
                             a real model of a recorded snapshot): answered 409, nothing applied

Hub-shaped HTTP errors (404 RepoNotFound, 401 GatedRepo, injected 429/5xx …) are answers the
server gives on purpose, not exceptions: see :mod:`hubreplay.serve.responses`.
"""

from __future__ import annotations

__all__ = ["EditRefusedError", "ReplayConfigError", "ReplayError", "ReplayStartError"]


class ReplayError(Exception):
    """Base of every error raised by :mod:`hubreplay.serve`."""


class ReplayConfigError(ReplayError):
    """A setting of the replay hub or of its fault injection is invalid."""


class ReplayStartError(ReplayError):
    """The replay hub could not be started."""


class EditRefusedError(ReplayError):
    """An edit the hub refuses as it stands; ``index`` is the edit's position in the request."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index
