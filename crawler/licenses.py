"""Licence normalisation: what a card or tag says → one canonical licence id, never a guess.

Canonical ids (shared with the graph package):

- a Hub licence id (``apache-2.0``, ``llama3.1``, ``gemma``, ``openrail++`` …) is its own id;
- ``license: other`` with a known ``license_name`` slug (``mrl``, ``qwen``, ``deepseek`` …)
  becomes that slug (``deepseek-license`` is the second slug in use for ``deepseek``);
- anything else — an unlisted id, ``other`` without a known name, several licences at once,
  a value of the wrong type — is ``unknown``, with the hub's value kept verbatim in
  ``raw`` and a message for an ``UNKNOWN_LICENSE`` problem.

Matching is exact after trimming whitespace and lower-casing (Hub ids are lower case).
The table is ``licenses.json`` next to this module (copied from the Hub's licence list and
the licence knowledge base).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "UNKNOWN",
    "LicenseResolution",
    "LicenseTable",
    "license_table",
    "normalise_license",
    "resolve_declared_license",
]

UNKNOWN = "unknown"
_OTHER = "other"


@dataclass(frozen=True, slots=True)
class LicenseTable:
    """Known Hub licence ids and ``license_name`` slugs (slug → canonical id)."""

    hub_ids: frozenset[str]
    other_names: Mapping[str, str]


@cache
def license_table() -> LicenseTable:
    """The bundled table (read once)."""
    text = resources.files("crawler").joinpath("licenses.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return LicenseTable(
        hub_ids=frozenset(str(key) for key in data["hub_licenses"]),
        other_names={str(key): str(value) for key, value in data["other_license_names"].items()},
    )


@dataclass(frozen=True, slots=True)
class LicenseResolution:
    """The outcome of normalising one declaration.

    ``license_id`` is None only when nothing was declared. ``problem`` is set (a sentence)
    whenever ``license_id`` is ``unknown``.
    """

    license_id: str | None
    raw: str | None
    license_name: str | None = None
    license_link: str | None = None
    problem: str | None = None


def _verbatim(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _key(value: str) -> str:
    return value.strip().lower()


def normalise_license(
    license: object,
    license_name: object = None,
    license_link: object = None,
    *,
    table: LicenseTable | None = None,
) -> LicenseResolution:
    """Map a card's ``license`` (+ ``license_name`` for ``other``) onto a canonical id."""
    known = table if table is not None else license_table()
    raw = _verbatim(license)
    name = _verbatim(license_name)
    link = _verbatim(license_link)
    if license is None or (isinstance(license, str) and not license.strip()):
        if license_name is not None:
            return _from_name_only(name, link, known)
        return LicenseResolution(None, None, name, link)
    if isinstance(license, list) and len(license) == 1 and isinstance(license[0], str):
        license = license[0]
    if not isinstance(license, str):
        return LicenseResolution(
            UNKNOWN, raw, name, link, problem=f"license is not a single licence id: {raw}"
        )
    key = _key(license)
    if key == _OTHER:
        return _from_name_only(name, link, known, raw=raw)
    if key == UNKNOWN:
        return LicenseResolution(UNKNOWN, raw, name, link, problem="the card declares license: unknown")
    if key in known.hub_ids:
        return LicenseResolution(key, raw, name, link)
    return LicenseResolution(UNKNOWN, raw, name, link, problem=f"license {raw!r} is not a Hub licence id")


def _from_name_only(
    name: str | None, link: str | None, known: LicenseTable, *, raw: str | None = None
) -> LicenseResolution:
    if name is None or not name.strip():
        return LicenseResolution(
            UNKNOWN, raw, name, link, problem=f"license {raw or 'other'!r} without a license_name"
        )
    key = _key(name)
    if key in known.other_names:
        return LicenseResolution(known.other_names[key], raw, name, link)
    if key in known.hub_ids and key not in (_OTHER, UNKNOWN):
        return LicenseResolution(key, raw, name, link)
    return LicenseResolution(UNKNOWN, raw, name, link, problem=f"license_name {name!r} is not a known licence")


def resolve_declared_license(
    card: Mapping[str, object] | None, tags: Iterable[str]
) -> tuple[LicenseResolution, str | None]:
    """Resolve a model's licence from its card data and its ``license:<id>`` tags.

    The card wins when it declares a licence; the tags fill in when it does not. Returns the
    resolution and, when card and tags name different licences, a sentence describing the
    disagreement (recorded as a ``CARD_TAG_DISAGREE`` problem).
    """
    tag_ids = sorted({tag[len("license:") :] for tag in tags if tag.startswith("license:")})
    card_license = card.get("license") if card is not None else None
    card_name = card.get("license_name") if card is not None else None
    card_link = card.get("license_link") if card is not None else None
    if card_license is not None:
        resolution = normalise_license(card_license, card_name, card_link)
        disagreement = None
        if tag_ids:
            card_ids = _card_ids(card_license)
            if card_ids is not None and card_ids != {_key(tag) for tag in tag_ids}:
                disagreement = f"card license {resolution.raw!r} but tags say {', '.join(tag_ids)}"
        return resolution, disagreement
    if not tag_ids:
        return normalise_license(None, card_name, card_link), None
    if len(tag_ids) == 1:
        return normalise_license(tag_ids[0], card_name, card_link), None
    return normalise_license(tag_ids, card_name, card_link), None


def _card_ids(card_license: object) -> set[str] | None:
    if isinstance(card_license, str):
        return {_key(card_license)}
    if isinstance(card_license, list) and all(isinstance(item, str) for item in card_license):
        return {_key(item) for item in card_license}
    return None
