"""A declared licence → a catalog entry: the one place where a licence id is normalised.

A declaration is what a hub stated: ``license`` (a Hub id, ``other``, anything a card says),
``license_name`` (the slug that names the licence when ``license`` is ``other``) and
``license_link``. :func:`resolve_license` answers the canonical id of the catalog entry, or
``unknown`` with the reason (:class:`ResolutionGap`) and the declaration kept as text:

- ``license`` matches an id or an alias of the catalog (case and surrounding blanks ignored);
- ``license: other`` (or no ``license`` at all) with a ``license_name`` matches that name the
  same way;
- ``license: unknown``, an unmatched id or name, several licences written as one value (text
  the crawler keeps as it was written) are ``unrecognised``; ``other`` without a name is a gap
  of its own; nothing declared at all is ``not_declared``.

The link is carried, never matched: a link alone does not decide a licence. The one table of
ids and aliases is the knowledge base's data (``data/licenses/*.yaml``, ``aliases:``).

:func:`recorded_resolution` rebuilds the outcome of a resolution already made (the graph
stores the resolved id with the declaration) without looking anything up again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from terms.licenses.catalog import UNKNOWN_ID, LicenseCatalog, default_catalog

__all__ = [
    "OTHER",
    "ResolutionGap",
    "Resolved",
    "declaration_text",
    "recorded_resolution",
    "resolve_license",
]

OTHER = "other"
"""The Hub's id for "a licence named by ``license_name``"."""


class ResolutionGap(enum.StrEnum):
    """Why a declaration resolved to ``unknown``."""

    NOT_DECLARED = "not_declared"
    OTHER_WITHOUT_NAME = "other_without_name"
    UNRECOGNISED = "unrecognised"


@dataclass(frozen=True, slots=True)
class Resolved:
    """A declaration resolved to a canonical id.

    ``raw`` is the declaration as one text (``license``, or ``license:license_name``); ``gap``
    says why the id is ``unknown`` (None when it is known); ``problem`` is a sentence for an
    ``unknown_license`` problem when something was declared but not recognised.
    """

    license_id: str
    raw: str | None
    gap: ResolutionGap | None = None
    problem: str | None = None

    @property
    def declared(self) -> bool:
        """Whether anything was declared (a graph records a declaration only then)."""
        return self.gap is not ResolutionGap.NOT_DECLARED


def _key(value: str | None) -> str:
    return "" if value is None else value.strip().lower()


def declaration_text(license_id: str | None, license_name: str | None) -> str | None:
    """The declaration as one text: ``license``, ``license:license_name``, or the name alone."""
    if license_name is None:
        return license_id
    if not _key(license_id):
        return license_name
    return f"{license_id}:{license_name}"


def resolve_license(
    license_id: str | None,
    license_name: str | None = None,
    license_link: str | None = None,
    *,
    catalog: LicenseCatalog | None = None,
) -> Resolved:
    """The catalog entry a declaration names, or ``unknown`` with the reason and the text kept.

    ``license_link`` is accepted as part of the declaration but never decides.
    """
    del license_link  # a link alone never decides a licence
    known = catalog if catalog is not None else default_catalog()
    text = declaration_text(license_id, license_name)
    stated = _key(license_id)
    if not stated and license_name is None:
        return Resolved(UNKNOWN_ID, text, ResolutionGap.NOT_DECLARED)
    named = license_name if stated in ("", OTHER) else license_id
    found = known.canonical(named) if named is not None and named.strip() else None
    if found is None or found == UNKNOWN_ID:
        return _unrecognised(license_id, license_name)
    return Resolved(found, text)


def recorded_resolution(license_id: str, declared: str | None, license_name: str | None) -> Resolved:
    """A resolution made earlier: the stored canonical id, or for ``unknown`` the reason read
    from what was declared (``declared`` is the hub's ``license`` verbatim)."""
    if license_id != UNKNOWN_ID:
        return Resolved(license_id, license_id)
    if declared is None and license_name is None:
        return Resolved(UNKNOWN_ID, UNKNOWN_ID, ResolutionGap.UNRECOGNISED, _problem(UNKNOWN_ID, None))
    return _unrecognised(declared, license_name)


def _unrecognised(license_id: str | None, license_name: str | None) -> Resolved:
    text = declaration_text(license_id, license_name)
    stated = _key(license_id)
    if stated in ("", OTHER) and not _key(license_name):
        return Resolved(UNKNOWN_ID, text, ResolutionGap.OTHER_WITHOUT_NAME, _problem(license_id, license_name))
    return Resolved(UNKNOWN_ID, text, ResolutionGap.UNRECOGNISED, _problem(license_id, license_name))


def _problem(license_id: str | None, license_name: str | None) -> str:
    stated = _key(license_id)
    if stated in ("", OTHER):
        if not _key(license_name):
            return f"license {license_id or OTHER!r} without a license_name"
        return f"license_name {license_name!r} is not a known licence"
    if stated == UNKNOWN_ID:
        return "the card declares license: unknown"
    return f"license {license_id!r} is not a Hub licence id"
