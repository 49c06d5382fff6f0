"""Field-by-field summaries of the licences in force (internal, memoised by licence set).

The most-restrictive rule of merges is applied here uniformly: commercial status takes the
strictest value, thresholds the minimum, restrictions and duties the union. Many models share
the same set of licences in force, so summaries are cached per ``(licence, scope)`` signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from terms.licenses import COMMERCIAL_STRICTNESS, CommercialStatus, LicenseCatalog, Term, TermKind
from terms.licenses.model import DerivativeLicensing, EuOssEligibility, FlowDown, NamingKind, Redistribution
from terms.propagation.result import CommercialOutcome, Scope

__all__ = ["Signature", "Summary", "Summarizer"]

Signature = tuple[tuple[str, Scope], ...]

_ELIGIBILITY_RANK = {EuOssEligibility.YES: 0, EuOssEligibility.DOUBTFUL: 1, EuOssEligibility.NO: 2}


@dataclass(frozen=True, slots=True)
class Summary:
    commercial: CommercialOutcome | None  # strictest known; None when nothing known applies
    commercial_license: str | None
    license_status: str | None
    mau: tuple[int, str] | None
    revenue: tuple[int, str] | None
    registration_required: bool
    commercial_missing: tuple[str, ...]
    restrictions: tuple[str, ...]
    restrictions_complete: bool
    terms: tuple[tuple[Term, str], ...]  # (term, licence) in licence order
    term_rows: tuple[tuple[str, str, str], ...]  # (term id, kind, licence), shared by every model of the signature
    term_ids: tuple[str, ...]  # sorted, distinct
    special_terms: tuple[tuple[Term, str], ...]  # display duties for every model, EU multimodal exclusions
    eu_licence: EuOssEligibility
    eu_reasons: tuple[str, ...]
    naming: tuple[tuple[str, str, str], ...]  # (kind, value, licence)


class Summarizer:
    """Computes and caches :class:`Summary` objects for one catalog."""

    def __init__(self, catalog: LicenseCatalog) -> None:
        self.catalog = catalog
        self._cache: dict[Signature, Summary] = {}

    def scoped_terms(self, license_id: str, scope: Scope) -> tuple[Term, ...]:
        """The terms of a licence that apply under ``scope``."""
        lt = self.catalog.terms(license_id)
        if scope is Scope.FULL:
            return lt.all
        if scope is Scope.FLOWING:
            return lt.flowing
        return tuple(t for t in lt.all if t.kind is TermKind.NAMING or t.key == "display")

    def commercial_applies(self, license_id: str, scope: Scope) -> bool:
        """Does the licence's commercial status bind the model under ``scope``?"""
        if scope is Scope.NAMING:
            return False
        entry = self.catalog.get(license_id)
        if scope is Scope.FULL or entry.commercial.persists_in_derivatives:
            return True
        return entry.derivative_licensing is not DerivativeLicensing.NONE

    def summary(self, signature: Signature) -> Summary:
        cached = self._cache.get(signature)
        if cached is None:
            cached = self._compute(signature)
            self._cache[signature] = cached
        return cached

    def _compute(self, signature: Signature) -> Summary:
        catalog = self.catalog
        best: tuple[int, str, CommercialStatus] | None = None
        missing: list[str] = []
        mau: tuple[int, str] | None = None
        revenue: tuple[int, str] | None = None
        registration = False
        restrictions: set[str] = set()
        complete = True
        terms: list[tuple[Term, str]] = []
        eu_rank = 0
        eu_unknown: list[str] = []
        eu_reasons: list[str] = []
        naming: list[tuple[str, str, str]] = []
        for license_id, scope in signature:
            entry = catalog.get(license_id)
            scoped = self.scoped_terms(license_id, scope)
            terms.extend((t, license_id) for t in scoped)
            for term in scoped:
                if term.kind is TermKind.RESTRICTION:
                    restrictions.add(term.key)
                elif term.kind is TermKind.NAMING and term.value is not None:
                    naming.append((term.key, term.value, license_id))
            if scope is not Scope.NAMING:
                if entry.flow_down is FlowDown.UNKNOWN or not entry.restrictions_complete:
                    complete = False
                eligibility = entry.eu_oss_exemption
                if eligibility is EuOssEligibility.UNKNOWN:
                    eu_unknown.append(license_id)
                else:
                    eu_rank = max(eu_rank, _ELIGIBILITY_RANK[eligibility])
                    if eligibility is not EuOssEligibility.YES:
                        eu_reasons.append(f"{license_id}: {eligibility.value}")
            if not self.commercial_applies(license_id, scope):
                continue
            com = entry.commercial
            status = com.status
            if entry.redistribution is Redistribution.FORBIDDEN:
                status = CommercialStatus.NO_DISTRIBUTION
            if status is CommercialStatus.UNKNOWN:
                missing.append(f"commercial terms of {license_id} are unknown")
                continue
            rank = COMMERCIAL_STRICTNESS[status]
            if best is None or rank > best[0] or (rank == best[0] and license_id < best[1]):
                best = (rank, license_id, status)
            if com.mau_threshold is not None and (mau is None or (com.mau_threshold, license_id) < mau):
                mau = (com.mau_threshold, license_id)
            if com.revenue_threshold_usd is not None and (
                revenue is None or (com.revenue_threshold_usd, license_id) < revenue
            ):
                revenue = (com.revenue_threshold_usd, license_id)
            registration = registration or bool(com.registration_required)
        if eu_unknown:
            eu = EuOssEligibility.UNKNOWN if eu_rank < 2 else EuOssEligibility.NO
            eu_reasons.extend(f"{lid}: eligibility unknown" for lid in eu_unknown)
        else:
            eu = (EuOssEligibility.YES, EuOssEligibility.DOUBTFUL, EuOssEligibility.NO)[eu_rank]
        outcome = CommercialOutcome.of(best[2]) if best else None
        if outcome is CommercialOutcome.ALLOWED and (mau or revenue):
            outcome = CommercialOutcome.CONDITIONAL
        return Summary(
            commercial=outcome,
            commercial_license=best[1] if best else None,
            license_status=best[2].value if best else None,
            mau=mau,
            revenue=revenue,
            registration_required=registration,
            commercial_missing=tuple(missing),
            restrictions=tuple(sorted(restrictions)),
            restrictions_complete=complete,
            terms=tuple(terms),
            term_rows=tuple((t.id, t.kind.value, lid) for t, lid in terms),
            term_ids=tuple(sorted({t.id for t, _ in terms})),
            special_terms=tuple((t, lid) for t, lid in terms if _special(t)),
            eu_licence=eu,
            eu_reasons=tuple(eu_reasons),
            naming=tuple(naming),
        )


def _special(term: Term) -> bool:
    if term.kind is TermKind.ATTRIBUTION:
        return term.key == "display" and term.applies_to is None and term.value is not None
    return term.kind is TermKind.EXCLUSION and term.value == "EU" and term.applies_to == "multimodal"


@lru_cache(maxsize=1 << 16)
def name_key(text: str) -> str:
    """Normalised form for naming rules: lower case, letters and digits only."""
    return "".join(filter(str.isalnum, text.lower()))


def naming_met(kind: str, value: str, name: str) -> bool:
    """Does ``name`` satisfy a naming rule of ``kind`` with ``value``?"""
    if kind == NamingKind.MUST_BEGIN_WITH.value:
        return name_key(name).startswith(name_key(value))
    return not name_key(name).startswith(name_key(value))
