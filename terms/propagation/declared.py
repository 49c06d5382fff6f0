"""Does a declared licence carry an inherited term? (internal)

A derivative's declared licence *covers* an inherited binding term when it imposes the same
term or a stricter one: a stricter commercial status, a lower threshold, a naming prefix that
extends the inherited one, an output rule of the same family at least as strict.
"""

from __future__ import annotations

from dataclasses import dataclass

from terms.licenses import COMMERCIAL_STRICTNESS, CommercialStatus, LicenseCatalog, Term, TermKind
from terms.licenses.model import NamingKind, Redistribution
from terms.propagation.summary import name_key

__all__ = ["DeclaredTerms", "OUTPUT_RANK", "commercial_rank", "covered", "declared_terms", "redistribution_notices"]

_NOTICE_KEYS = frozenset({"agreement_copy", "notice_file"})

OUTPUT_RANK = {"allowed": 0, "conditional": 1, "non_commercial_only": 2, "research_only": 3, "forbidden": 4}


@dataclass(frozen=True, slots=True)
class DeclaredTerms:
    ids: frozenset[str]
    families: frozenset[str]
    commercial_rank: int  # -1 when unknown
    mau: int | None
    revenue: int | None
    prefixes: tuple[str, ...]  # normalised must_begin_with values
    outputs: dict[str, int]  # family -> strictest output rank
    no_redistribution: bool


def commercial_rank(catalog: LicenseCatalog, license_id: str) -> int:
    """Strictness of a licence's own commercial status (no distribution counts as strictest); -1 unknown."""
    entry = catalog.get(license_id)
    if entry.redistribution is Redistribution.FORBIDDEN:
        return COMMERCIAL_STRICTNESS[CommercialStatus.NO_DISTRIBUTION]
    if entry.commercial.status is CommercialStatus.UNKNOWN:
        return -1
    return COMMERCIAL_STRICTNESS[entry.commercial.status]


def declared_terms(catalog: LicenseCatalog, license_ids: tuple[str, ...]) -> DeclaredTerms:
    ids: set[str] = set()
    families: set[str] = set()
    rank = -1
    mau: int | None = None
    revenue: int | None = None
    prefixes: list[str] = []
    outputs: dict[str, int] = {}
    no_redistribution = False
    for license_id in license_ids:
        entry = catalog.get(license_id)
        families.add(entry.family)
        rank = max(rank, commercial_rank(catalog, license_id))
        com = entry.commercial
        if com.mau_threshold is not None:
            mau = com.mau_threshold if mau is None else min(mau, com.mau_threshold)
        if com.revenue_threshold_usd is not None:
            revenue = com.revenue_threshold_usd if revenue is None else min(revenue, com.revenue_threshold_usd)
        no_redistribution = no_redistribution or entry.redistribution is Redistribution.FORBIDDEN
        for term in catalog.terms(license_id).all:
            ids.add(term.id)
            if term.kind is TermKind.NAMING and term.key == NamingKind.MUST_BEGIN_WITH.value and term.value:
                prefixes.append(name_key(term.value))
            if term.kind is TermKind.OUTPUT_USE:
                outputs[entry.family] = max(outputs.get(entry.family, 0), OUTPUT_RANK.get(term.key, 0))
    return DeclaredTerms(frozenset(ids), frozenset(families), rank, mau, revenue, tuple(prefixes), outputs,
                         no_redistribution)


def covered(term: Term, family: str, declared: DeclaredTerms) -> bool:
    """Is the inherited ``term`` (of a licence of ``family``) carried by the declared licences?"""
    if term.id in declared.ids:
        return True
    if term.kind is TermKind.COMMERCIAL:
        return declared.commercial_rank >= COMMERCIAL_STRICTNESS[CommercialStatus(term.key)]
    if term.kind is TermKind.THRESHOLD:
        if declared.commercial_rank >= COMMERCIAL_STRICTNESS[CommercialStatus.NON_COMMERCIAL]:
            return True
        limit = declared.mau if term.key == "mau" else declared.revenue
        return limit is not None and term.amount is not None and limit <= term.amount
    if term.kind is TermKind.NAMING and term.key == NamingKind.MUST_BEGIN_WITH.value and term.value:
        wanted = name_key(term.value)
        return any(prefix.startswith(wanted) for prefix in declared.prefixes)
    if term.kind is TermKind.OUTPUT_USE:
        return declared.outputs.get(family, -1) >= OUTPUT_RANK.get(term.key, 0)
    if term.kind is TermKind.REDISTRIBUTION:
        return declared.no_redistribution
    return False


def redistribution_notices(catalog: LicenseCatalog, license_id: str) -> tuple[Term, ...]:
    """The binding terms a redistributor must ship with the licence's material: a copy of the
    agreement and its Notice file (Llama §1.b.i, Gemma §3.1, RAIL). Apache-2.0's licence copy is
    not binding on derivatives' own licence and is not listed."""
    binding = catalog.terms(license_id).binding
    return tuple(t for t in catalog.terms(license_id).all
                 if t.kind is TermKind.ATTRIBUTION and t.key in _NOTICE_KEYS and t.id in binding)
