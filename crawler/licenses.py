"""What a card and its tags say about a model's licence, read as written — never interpreted.

The card's ``license`` wins when it is there; the Hub's ``license:<id>`` tags fill in when it
is not. ``license_name`` and ``license_link`` come from the card. Which licence the
declaration names (aliases, ``other`` + ``license_name``, unrecognised values) is decided once,
by the licence knowledge base, when the graph is written (``terms.licenses.resolve``).

Reading rules: a blank ``license`` declares nothing; a one-item list is its item (the list kept
as written); several licences, or a value that is not a string, are kept as JSON text. When
card and tags name different licences the disagreement is described (a ``CARD_TAG_DISAGREE``
problem); ids are compared ignoring case and surrounding blanks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from crawler.observations import DeclaredLicense

__all__ = ["LICENSE_TAG", "read_declared_license"]

LICENSE_TAG = "license:"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _key(value: str) -> str:
    return value.strip().lower()


def _declared(value: object, name: object, link: object) -> DeclaredLicense | None:
    written = _text(value)
    if isinstance(value, str) and not value.strip():
        value = None
    elif isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    license_id = _text(value)
    found = DeclaredLicense(
        id=license_id,
        name=_text(name),
        link=_text(link),
        written_as=written if written != license_id and license_id is not None else None,
    )
    return None if found == DeclaredLicense() else found


def read_declared_license(
    card: Mapping[str, object] | None, tags: Iterable[str]
) -> tuple[DeclaredLicense | None, str | None]:
    """The licence a model declares (None: nothing at all) and, when card and tags name different
    licences, a sentence describing the disagreement."""
    tag_ids = sorted({tag[len(LICENSE_TAG) :] for tag in tags if tag.startswith(LICENSE_TAG)})
    card_license = card.get("license") if card is not None else None
    card_name = card.get("license_name") if card is not None else None
    card_link = card.get("license_link") if card is not None else None
    if card_license is not None:
        declared = _declared(card_license, card_name, card_link)
        disagreement = None
        if tag_ids:
            card_ids = _card_ids(card_license)
            if card_ids is not None and card_ids != {_key(tag) for tag in tag_ids}:
                raw = None if declared is None else declared.raw
                disagreement = f"card license {raw!r} but tags say {', '.join(tag_ids)}"
        return declared, disagreement
    if len(tag_ids) == 1:
        return _declared(tag_ids[0], card_name, card_link), None
    return _declared(tag_ids or None, card_name, card_link), None


def _card_ids(card_license: object) -> set[str] | None:
    if isinstance(card_license, str):
        return {_key(card_license)}
    if isinstance(card_license, list) and all(isinstance(item, str) for item in card_license):
        return {_key(item) for item in card_license}
    return None
