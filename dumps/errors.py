"""Errors of the dump import. A bad *row* is never an error: it is a problem in the import's report
(and a ProblemSeen on the model when its id is valid). These are the failures of the whole import.

Hierarchy::

    DumpError
    ├── DumpUnreadable        the path is missing, unreadable or not a Parquet file
    ├── MissingColumns        a required column is not in the file (nothing was written)
    ├── CheckpointMismatch    --resume with a checkpoint of another file (or another version of it)
    └── GraphGaveUp           Neo4j stayed unavailable longer than the import's total retry wait
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CheckpointMismatch", "DumpError", "DumpUnreadable", "GraphGaveUp", "MissingColumns"]


class DumpError(Exception):
    """Base of every error that stops an import."""


class DumpUnreadable(DumpError):
    """The file cannot be opened as Parquet."""


class MissingColumns(DumpError):
    """Required columns are absent; the message names them and the columns that were found."""

    def __init__(self, missing: Sequence[str], found: Sequence[str]) -> None:
        shown = ", ".join(found[:40]) + (f" … (+{len(found) - 40})" if len(found) > 40 else "")
        super().__init__(
            f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} not in the file; "
            f"columns found: {shown or 'none'}"
        )
        self.missing = list(missing)
        self.found = list(found)


class CheckpointMismatch(DumpError):
    """The checkpoint names another file, or the file changed since the checkpoint was written."""


class GraphGaveUp(DumpError):
    """Writes kept failing with retryable errors for longer than the allowed total wait."""

    def __init__(self, next_row: int, waited_s: float, cause: Exception) -> None:
        super().__init__(
            f"the graph stayed unavailable for {waited_s:.0f} s (last error: {cause}); rows before {next_row} "
            "are written — run the same command with --resume to continue from there"
        )
        self.next_row = next_row
        self.waited_s = waited_s
