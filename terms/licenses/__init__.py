"""Licence knowledge base: typed entries loaded from versioned YAML data, and their terms.

Quick use::

    from terms.licenses import default_catalog, resolve_license
    catalog = default_catalog()
    catalog.get("llama3.1").commercial.mau_threshold   # 700000000
    catalog.get("no-such-licence").id                  # "unknown"
    resolve_license("other", "deepseek-license").license_id   # "deepseek"
"""

from terms.licenses.catalog import (
    DATA_DIR,
    UNKNOWN_ID,
    LicenseCatalog,
    default_catalog,
)
from terms.licenses.model import (
    COMMERCIAL_STRICTNESS,
    CommercialStatus,
    DerivativeLicensing,
    EuOssEligibility,
    FlowDown,
    LicenseEntry,
    Marker,
    NamingKind,
    OutputTraining,
    Redistribution,
    TriState,
)
from terms.licenses.resolve import ResolutionGap, Resolved, recorded_resolution, resolve_license
from terms.licenses.terms import LicenseTerms, Term, TermKind

__all__ = [
    "COMMERCIAL_STRICTNESS",
    "DATA_DIR",
    "UNKNOWN_ID",
    "CommercialStatus",
    "DerivativeLicensing",
    "EuOssEligibility",
    "FlowDown",
    "LicenseCatalog",
    "LicenseEntry",
    "LicenseTerms",
    "Marker",
    "NamingKind",
    "OutputTraining",
    "Redistribution",
    "ResolutionGap",
    "Resolved",
    "Term",
    "TermKind",
    "TriState",
    "default_catalog",
    "recorded_resolution",
    "resolve_license",
]
