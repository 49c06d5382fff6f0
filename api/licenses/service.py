"""Licences and terms from the knowledge base the graph loads (terms.licenses), indexed once per catalog."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from api.errors import UnknownId
from terms.licenses import LicenseCatalog, LicenseEntry, Term

__all__ = ["CatalogIndex", "find_license", "index", "license_argument"]


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


def find_license(catalog: LicenseCatalog, name: str) -> LicenseEntry | None:
    """The licence a client names: its canonical id or any alias, in any case; None when the knowledge base
    does not know it. Every argument that names a licence goes through here."""
    canonical = catalog.canonical(name)
    if canonical is None or canonical not in catalog:
        return None
    return catalog.get(canonical)


def license_argument(catalog: LicenseCatalog, name: str, *, argument: str = "license") -> str:
    """The canonical id of the licence an argument names; NOT_FOUND (naming the argument) when unknown."""
    found = find_license(catalog, name)
    if found is None:
        raise UnknownId(
            f"{argument} {name.strip()!r} is not a licence Lineage knows; `licenses {{ id }}` lists them",
            argument=argument,
            id=name,
        )
    return found.id
