"""Errors of the snapshot package (reading, writing and recording hub snapshots).

Hierarchy::

    SnapshotError
    ├── SnapshotNotFoundError    the folder or its manifest does not exist (permanent)
    ├── SnapshotFormatError      a file of the snapshot cannot be parsed or breaks the format (permanent)
    └── RecordError              recording from a hub failed
        ├── RecordRetryableError the hub could not answer now (429, 5xx, timeouts): try again later
        └── RecordPermanentError asking again gives the same answer (bad seed id, refused request)

Nothing in this package retries on its own; callers retry exactly ``RecordRetryableError``.
"""

from __future__ import annotations

__all__ = [
    "RecordError",
    "RecordPermanentError",
    "RecordRetryableError",
    "SnapshotError",
    "SnapshotFormatError",
    "SnapshotNotFoundError",
]


class SnapshotError(Exception):
    """Base of every error raised by :mod:`hubreplay.snapshot`."""


class SnapshotNotFoundError(SnapshotError):
    """The snapshot folder, or its ``manifest.json``, does not exist."""


class SnapshotFormatError(SnapshotError):
    """A snapshot file is not valid JSON / JSONL or breaks the format of FORMAT.md."""


class RecordError(SnapshotError):
    """Recording a snapshot from a hub failed."""


class RecordRetryableError(RecordError):
    """The hub could not answer now (rate limit, server error, timeout); the same call may succeed later."""


class RecordPermanentError(RecordError):
    """The hub refused the request in a way that will not change on retry."""
