"""Errors of the licence knowledge base and its store.

Hierarchy::

    LicenseError
    ├── KnowledgeBaseError          permanent: a data file is missing, malformed or inconsistent
    └── LicenseStoreError
        ├── LicenseStoreUnavailable retryable: Neo4j could not be reached or the transaction was transient
        └── LicenseStoreRejected    permanent: Neo4j refused the statement or the data
"""

from __future__ import annotations

__all__ = [
    "KnowledgeBaseError",
    "LicenseError",
    "LicenseStoreError",
    "LicenseStoreRejected",
    "LicenseStoreUnavailable",
]


class LicenseError(Exception):
    """Base class of every error raised by ``terms.licenses``."""


class KnowledgeBaseError(LicenseError):
    """The knowledge-base files are invalid; fix the data, retrying will not help."""


class LicenseStoreError(LicenseError):
    """Loading the knowledge base into Neo4j failed."""


class LicenseStoreUnavailable(LicenseStoreError):
    """Neo4j was unreachable or the transaction failed transiently; safe to retry (loads are idempotent)."""


class LicenseStoreRejected(LicenseStoreError):
    """Neo4j rejected the statement or its parameters; retrying will not help."""
