"""Terms: the atomic obligations a licence imposes, shared across licences by id.

A term id is stable and readable (``restriction:military``, ``threshold:mau:700000000``,
``attribution:display:built-with-llama``, ``naming:must_begin_with:llama``), so the same
restriction imposed by two licences is one ``Term`` node. For each licence this module also
derives which of its terms *flow* to a derivative and which are *binding* (a derivative's
declared licence must carry them, or it drops them).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from terms.licenses.model import (
    AttributionKind,
    CommercialStatus,
    DerivativeLicensing,
    LicenseEntry,
    Marker,
    OutputTraining,
    Redistribution,
)

__all__ = ["NO_ADAPTED_SHARING", "LicenseTerms", "Term", "TermKind", "derive_terms", "slug"]

NO_ADAPTED_SHARING = "redistribution:no_adapted_sharing"
"""The term of a no-derivatives licence (CC ND): adapted material may not be shared."""


class TermKind(enum.StrEnum):
    COMMERCIAL = "commercial"
    THRESHOLD = "threshold"
    RESTRICTION = "restriction"
    ATTRIBUTION = "attribution"
    NAMING = "naming"
    OUTPUT_USE = "output_use"
    EXCLUSION = "exclusion"
    REDISTRIBUTION = "redistribution"
    DUTY = "duty"


@dataclass(frozen=True, slots=True)
class Term:
    """One obligation. ``key`` is the sub-kind (taxonomy id, threshold name, attribution kind …)."""

    id: str
    kind: TermKind
    key: str
    value: str | None = None
    amount: int | None = None
    description: str = ""
    alternatives: tuple[str, ...] = ()
    applies_to: str | None = None


@dataclass(frozen=True, slots=True)
class LicenseTerms:
    """The terms of one licence and how they travel to derivatives."""

    license_id: str
    all: tuple[Term, ...]
    flowing: tuple[Term, ...]
    binding: frozenset[str]
    markers: dict[str, Marker]  # term id -> the caveat of the field it came from
    sections: dict[str, str]  # term id -> the section of this licence's text that imposes it (restrictions)


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Lower-case, runs of anything else than letters and digits become one ``-``."""
    return _SLUG.sub("-", text.lower()).strip("-")


_COMMERCIAL_TEXT = {
    CommercialStatus.NON_COMMERCIAL: "non-commercial use only",
    CommercialStatus.NON_PRODUCTION: "non-production use only (testing, research, evaluation)",
    CommercialStatus.RESEARCH_ONLY: "research use only",
    CommercialStatus.NO_DISTRIBUTION: "no distribution in any form",
}
_ATTRIBUTION_TEXT = {
    AttributionKind.KEEP_NOTICES: "keep the copyright, licence and attribution notices",
    AttributionKind.MODIFICATION_NOTICE: "mark modified files or state what was changed",
}


def _commercial_terms(entry: LicenseEntry) -> list[tuple[Term, str]]:
    out: list[tuple[Term, str]] = []
    com = entry.commercial
    if com.status not in (CommercialStatus.ALLOWED, CommercialStatus.UNKNOWN, CommercialStatus.CONDITIONAL):
        out.append((Term(f"commercial:{com.status.value}", TermKind.COMMERCIAL, com.status.value, com.status.value,
                         description=_COMMERCIAL_TEXT[com.status]), "commercial"))
    if com.mau_threshold is not None:
        text = f"above {com.mau_threshold:,} monthly active users a separate licence is needed"
        out.append((Term(f"threshold:mau:{com.mau_threshold}", TermKind.THRESHOLD, "mau", None, com.mau_threshold,
                         text), "commercial"))
    if com.revenue_threshold_usd is not None:
        amount = com.revenue_threshold_usd
        text = f"above USD {amount:,} annual revenue the licence ends or must be renegotiated"
        out.append((Term(f"threshold:revenue_usd:{amount}", TermKind.THRESHOLD, "revenue_usd", None, amount, text),
                    "commercial"))
    if com.registration_required:
        out.append((Term("duty:registration", TermKind.DUTY, "registration", None,
                         description="register with the licensor before commercial use"), "commercial"))
    return out


def _attribution_term(entry: LicenseEntry, kind: AttributionKind, text: str | None) -> str:
    if kind in (AttributionKind.DISPLAY, AttributionKind.PUBLICATION_STATEMENT) and text:
        return f"attribution:{kind.value}:{slug(text)}"
    if kind in (AttributionKind.MODIFICATION_NOTICE, AttributionKind.KEEP_NOTICES):
        return f"attribution:{kind.value}"
    return f"attribution:{kind.value}:{entry.id}"


def derive_terms(entry: LicenseEntry, restriction_text: dict[str, str], duty_text: dict[str, str]) -> LicenseTerms:
    """All terms of ``entry``, which of them flow to derivatives, and which are binding."""
    pairs: list[tuple[Term, str]] = _commercial_terms(entry)
    sections: dict[str, str] = {}
    for item in entry.restrictions:
        pairs.append((Term(f"restriction:{item}", TermKind.RESTRICTION, item, description=restriction_text[item]),
                      "restrictions"))
        if item in entry.restriction_sections:
            sections[f"restriction:{item}"] = entry.restriction_sections[item]
    for att in entry.attribution:
        tid = _attribution_term(entry, att.kind, att.text)
        desc = _ATTRIBUTION_TEXT.get(att.kind) or att.text or att.kind.value.replace("_", " ")
        if att.kind in (AttributionKind.AGREEMENT_COPY, AttributionKind.NOTICE_FILE):
            desc = f"{att.kind.value.replace('_', ' ')} of {entry.name}" + (f": {att.text}" if att.text else "")
        pairs.append((Term(tid, TermKind.ATTRIBUTION, att.kind.value, att.text, description=desc,
                           alternatives=att.alternatives, applies_to=att.applies_to), "attribution"))
    for rule in entry.naming:
        pairs.append((Term(f"naming:{rule.kind.value}:{slug(rule.value)}", TermKind.NAMING, rule.kind.value,
                           rule.value, description=f"{rule.kind.value.replace('_', ' ')} \"{rule.value}\""), "naming"))
    out = entry.outputs
    if out.train_other_models not in (OutputTraining.ALLOWED, OutputTraining.UNKNOWN):
        scope = out.scope or "other models"
        tid = f"output_use:{entry.family}:{out.train_other_models.value}"
        desc = f"using outputs to train {scope}: {out.train_other_models.value.replace('_', ' ')}"
        if out.condition:
            desc += f" ({out.condition})"
        pairs.append((Term(tid, TermKind.OUTPUT_USE, out.train_other_models.value, out.except_family,
                           description=desc), "outputs"))
    for exc in entry.exclusions:
        tid = f"exclusion:{exc.kind.value}:{slug(exc.region or 'any')}:{slug(exc.scope or 'all')}"
        pairs.append((Term(tid, TermKind.EXCLUSION, exc.kind.value, exc.region,
                           description=exc.note or f"{exc.kind.value} exclusion", applies_to=exc.scope), "exclusions"))
    if entry.redistribution in (Redistribution.FORBIDDEN, Redistribution.RESTRICTED):
        value = entry.redistribution.value
        pairs.append((Term(f"redistribution:{value}", TermKind.REDISTRIBUTION, value, value,
                           description=f"redistribution {value}"), "redistribution"))
    if entry.derivative_licensing is DerivativeLicensing.NO_SHARING:
        pairs.append((Term(NO_ADAPTED_SHARING, TermKind.REDISTRIBUTION, "no_adapted_sharing", "no_adapted_sharing",
                           description="redistribution of adaptations forbidden; only unmodified copies may be shared"),
                       "derivative_licensing"))
    for duty in entry.duties:
        pairs.append((Term(f"duty:{duty.kind}", TermKind.DUTY, duty.kind, description=duty_text[duty.kind]), "duties"))

    seen: dict[str, Term] = {}
    markers: dict[str, Marker] = {}
    for term, field in pairs:
        if term.id not in seen:
            seen[term.id] = term
            if field in entry.markers:
                markers[term.id] = entry.markers[field]
    terms = tuple(seen.values())

    if entry.derivative_licensing in (DerivativeLicensing.SAME, DerivativeLicensing.TERMS_ATTACH,
                                      DerivativeLicensing.NO_SHARING, DerivativeLicensing.UNKNOWN):
        flowing = terms
    else:
        keep = {TermKind.ATTRIBUTION}
        if entry.commercial.persists_in_derivatives:
            keep |= {TermKind.COMMERCIAL, TermKind.THRESHOLD}
        flowing = tuple(t for t in terms if t.kind in keep)
    if entry.derivative_licensing in (DerivativeLicensing.SAME, DerivativeLicensing.TERMS_ATTACH,
                                      DerivativeLicensing.NO_SHARING):
        binding = frozenset(t.id for t in terms)
    elif entry.commercial.persists_in_derivatives:
        binding = frozenset(t.id for t in terms if t.kind in (TermKind.COMMERCIAL, TermKind.THRESHOLD))
    else:
        binding = frozenset()
    return LicenseTerms(entry.id, terms, flowing, binding, markers, sections)
