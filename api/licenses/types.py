"""GraphQL types of the licence knowledge base: licences with their typed terms and sources."""

from __future__ import annotations

from typing import Any

import strawberry

from api.enums import CommercialStatusKind
from api.licenses.service import index
from terms.licenses import LicenseCatalog, LicenseEntry, Redistribution, Term as KbTerm, TriState

__all__ = ["License", "LicenseRestriction", "Term"]

Info = strawberry.Info[Any, None]

def commercial_kind(entry: LicenseEntry) -> CommercialStatusKind:
    """The licence's own commercial status (thresholds make an allowed licence conditional)."""
    if entry.redistribution is Redistribution.FORBIDDEN:
        return CommercialStatusKind.NO_DISTRIBUTION
    kind = CommercialStatusKind.of(entry.commercial.status)
    com = entry.commercial
    if kind is CommercialStatusKind.ALLOWED and (com.mau_threshold or com.revenue_threshold_usd):
        return CommercialStatusKind.CONDITIONAL
    return kind


def _tri(value: TriState) -> bool | None:
    return None if value is TriState.UNKNOWN else value is TriState.YES


@strawberry.type(description="A term: an obligation a licence imposes (shared by id across licences).")
class Term:
    id: strawberry.ID
    kind: str
    key: str
    value: str | None
    amount: float | None
    description: str | None
    applies_to: str | None
    license_ids: list[strawberry.ID]

    @classmethod
    def from_internal(cls, term: KbTerm, catalog: LicenseCatalog) -> Term:
        return cls(
            id=strawberry.ID(term.id),
            kind=term.kind.value,
            key=term.key,
            value=term.value,
            amount=None if term.amount is None else float(term.amount),
            description=term.description or None,
            applies_to=term.applies_to,
            license_ids=[strawberry.ID(x) for x in index(catalog).term_licenses.get(term.id, ())],
        )


@strawberry.type(description="One use restriction of a licence and the section of the licence text that imposes it.")
class LicenseRestriction:
    id: str = strawberry.field(description="The taxonomy slug (the term restriction:<id>).")
    section: str | None = strawberry.field(description="Where the licence text imposes it, e.g. \"AUP §1.a.i\".")
    description: str | None


@strawberry.type(description="A licence of the knowledge base with its typed terms and sources.")
class License:
    id: strawberry.ID
    family: str | None
    name: str | None
    commercial: CommercialStatusKind
    commercial_raw: str = strawberry.field(description="The licence's own wording (e.g. non_production).")
    mau_threshold: float | None
    revenue_threshold_usd: float | None
    restrictions: list[str]
    restrictions_complete: bool
    flow_down: str | None
    derivative_licensing: str | None
    redistribution: str
    share_alike: bool
    osi_approved: bool | None
    eu_oss_eligible: str | None
    source_urls: list[str]
    verified: bool
    markers: list[str] = strawberry.field(description="The reference's caveats per field: G guess, U unverified, S secondary.")
    entry: strawberry.Private[LicenseEntry]
    catalog: strawberry.Private[LicenseCatalog]

    @strawberry.field
    def terms(self) -> list[Term]:
        return [Term.from_internal(t, self.catalog) for t in index(self.catalog).license_terms.get(self.entry.id, ())]

    @strawberry.field(description="The use restrictions with the section of the licence text for each.")
    def restriction_items(self) -> list[LicenseRestriction]:
        texts = self.catalog.taxonomy.restrictions
        return [LicenseRestriction(id=r.id, section=r.section, description=texts.get(r.id))
                for r in self.entry.restriction_items]

    @strawberry.field(description="Terms that flow to derivatives.")
    def flowing_terms(self) -> list[Term]:
        return [Term.from_internal(t, self.catalog) for t in self.catalog.terms(self.entry.id).flowing]

    @classmethod
    def from_internal(cls, entry: LicenseEntry, catalog: LicenseCatalog) -> License:
        com = entry.commercial
        return cls(
            id=strawberry.ID(entry.id),
            family=entry.family,
            name=entry.name,
            commercial=commercial_kind(entry),
            commercial_raw=com.status.value,
            mau_threshold=None if com.mau_threshold is None else float(com.mau_threshold),
            revenue_threshold_usd=None if com.revenue_threshold_usd is None else float(com.revenue_threshold_usd),
            restrictions=list(entry.restrictions),
            restrictions_complete=entry.restrictions_complete,
            flow_down=entry.flow_down.value,
            derivative_licensing=entry.derivative_licensing.value,
            redistribution=entry.redistribution.value,
            share_alike=entry.share_alike,
            osi_approved=_tri(entry.osi_approved),
            eu_oss_eligible=entry.eu_oss_exemption.value,
            source_urls=list(entry.sources),
            verified=entry.verified,
            markers=sorted(f"{k}:{v.value}" for k, v in entry.markers.items()),
            entry=entry,
            catalog=catalog,
        )
