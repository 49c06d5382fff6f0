"""Each licence's use restrictions against the enumerated items of its published text.

``terms/licenses/data/sources/<licence>.yaml`` stores the items of each policy as published
(short quoted headings, their section numbers, the public URLs) and the taxonomy slugs each item
maps to. For every licence with use restrictions: every item maps to a restriction of the
licence, every restriction maps to an item, and the section the licence entry gives for a
restriction is the sections of the items that map to it.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from terms.licenses import DATA_DIR, LicenseCatalog, default_catalog

SOURCES_DIR = DATA_DIR / "sources"
COVERED_ELSEWHERE = {"commercial", "attribution", "derivative_licensing"}  # fields that express an item instead


def _sources() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(SOURCES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["license"] not in out, f"{path.name}: a second source file for {doc['license']}"
        out[doc["license"]] = {**doc, "_file": path.name}
    return out


SOURCES = _sources()
RESTRICTED = sorted(e.id for e in default_catalog() if e.restrictions)


@pytest.fixture(scope="module")
def catalog() -> LicenseCatalog:
    return default_catalog()


def test_every_licence_with_use_restrictions_has_a_source_file() -> None:
    assert sorted(set(RESTRICTED) - set(SOURCES)) == []
    assert sorted(set(SOURCES) - set(RESTRICTED)) == []  # no source file for a licence without restrictions


@pytest.mark.parametrize("license_id", RESTRICTED)
def test_restrictions_match_the_items_of_the_source_text(catalog: LicenseCatalog, license_id: str) -> None:
    entry = catalog.get(license_id)
    source = SOURCES[license_id]
    items = source["items"]
    assert items, source["_file"]
    mapped: dict[str, list[str]] = {}
    for item in items:
        assert item["section"].strip() and item["text"].strip(), item
        slugs = item["restrictions"]
        if not slugs:
            assert item.get("covered_by") in COVERED_ELSEWHERE, f"{license_id} {item['section']} maps to nothing"
        for slug in slugs:
            assert slug in catalog.taxonomy.restrictions, (license_id, slug)
            assert slug in entry.restrictions, f"{license_id}: {item['section']} ({slug}) is not a restriction"
            sections = mapped.setdefault(slug, [])
            if item["section"] not in sections:
                sections.append(item["section"])
    assert sorted(set(entry.restrictions) - set(mapped)) == [], f"{license_id}: restrictions without a source item"
    for slug, sections in mapped.items():
        assert entry.restriction_sections[slug] == "; ".join(sections), (license_id, slug)


@pytest.mark.parametrize("license_id", RESTRICTED)
def test_source_files_cite_public_urls_and_say_how_far_they_were_verified(
        catalog: LicenseCatalog, license_id: str) -> None:
    entry = catalog.get(license_id)
    source = SOURCES[license_id]
    assert source["urls"] and all(u.startswith("https://") for u in source["urls"])
    assert set(source["urls"]) & set(entry.sources), f"{license_id}: the entry does not cite its source text"
    assert source["read_from"].strip() and source["numbering"].strip()
    unverified = [i for i in source["items"] if i.get("verified") is False]
    if entry.restrictions_complete:
        assert source["complete"] is True, f"{license_id}: complete in the catalogue, not in the source file"
    if source["complete"] is False or unverified:
        assert "not" in source["read_from"].lower(), f"{license_id}: say what was not verified"


def test_llama_policies_differ_as_their_texts_do() -> None:
    def shape(lid: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(i["section"], tuple(i["restrictions"])) for i in SOURCES[lid]["items"]]

    older, newer = shape("llama3.1"), shape("llama3.2")
    assert {s for s, _ in newer} - {s for s, _ in older} == {"AUP §1.h", "AUP §5"}  # added by Llama 3.2
    assert {s for s, _ in older} <= {s for s, _ in newer}
    assert shape("llama2") == shape("llama3") == older
    assert shape("llama3.3") == shape("llama4") == newer
    human = [i["text"] for i in SOURCES["llama2"]["items"] if i["section"] == "AUP §3.e"]
    assert human == ["Representing that the use of Llama 2 or outputs are human-generated"]


def test_a_disinformation_chatbot_breaches_llama_gemma_and_rail_alike(catalog: LicenseCatalog) -> None:
    for lid in ("llama2", "llama3.1", "llama4", "gemma", "creativeml-openrail-m", "bigcode-openrail-m", "deepseek"):
        terms = catalog.terms(lid)
        assert "restriction:disinformation" in {t.id for t in terms.all}, lid
        assert terms.sections["restriction:disinformation"], lid
