"""Licences and terms from the knowledge base the graph loads (terms.licenses), indexed once per catalog."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from terms.licenses import LicenseCatalog, LicenseEntry, Term

__all__ = ["CatalogIndex", "index"]


@dataclass(frozen=True)
class CatalogIndex:
    licenses: tuple[LicenseEntry, ...]  # by id
    terms: tuple[Term, ...]  # by id
    term_licenses: dict[str, tuple[str, ...]]  # term id -> licences imposing it
    license_terms: dict[str, tuple[Term, ...]]


@cache
def index(catalog: LicenseCatalog) -> CatalogIndex:
    """The catalog's licences and terms sorted by id, and which licences impose each term."""
    licenses = tuple(sorted(catalog, key=lambda e: e.id))
    owners: dict[str, list[str]] = {}
    license_terms: dict[str, tuple[Term, ...]] = {}
    for entry in licenses:
        terms = catalog.terms(entry.id).all
        license_terms[entry.id] = terms
        for term in terms:
            owners.setdefault(term.id, []).append(entry.id)
    terms_sorted = tuple(sorted(catalog.all_terms.values(), key=lambda t: t.id))
    return CatalogIndex(licenses, terms_sorted, {k: tuple(v) for k, v in owners.items()}, license_terms)
