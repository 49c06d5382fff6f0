"""Errors of the local development stack.

Each carries one line that says what went wrong and what to do about it::

    StackError
    ├── PrerequisiteMissing   Java, Maven or redis-server is not installed
    ├── DownloadFailed        the Neo4j jars could not be resolved from Maven Central
    ├── PortInUse             the chosen port is taken by another process
    ├── DataDirLocked         another process holds the data folder
    └── StartFailed           the server started but did not become ready
"""

from __future__ import annotations

__all__ = [
    "DataDirLocked",
    "DownloadFailed",
    "PortInUse",
    "PrerequisiteMissing",
    "StackError",
    "StartFailed",
]


class StackError(Exception):
    """A local service could not be prepared, started or stopped."""


class PrerequisiteMissing(StackError):
    pass


class DownloadFailed(StackError):
    pass


class PortInUse(StackError):
    pass


class DataDirLocked(StackError):
    pass


class StartFailed(StackError):
    pass
