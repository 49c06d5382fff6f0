"""terms.licenses.resolve: a hub's declaration → one catalog entry, through one table of aliases."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from terms.licenses import (
    DATA_DIR,
    UNKNOWN_ID,
    LicenseCatalog,
    ResolutionGap,
    default_catalog,
    recorded_resolution,
    resolve_license,
)
from terms.licenses.errors import KnowledgeBaseError

FIXTURES = Path(__file__).parent / "fixtures"

# `license: other` + license_name slugs seen on real cards (reference ai-licenses.md §1 and §8)
OTHER_SLUGS = {
    "deepseek": "deepseek", "deepseek-license": "deepseek", "mrl": "mrl", "mnpl": "mnpl", "qwen": "qwen",
    "qwen-research": "qwen-research", "tongyi-qianwen": "tongyi-qianwen", "falcon-llm-license": "falcon-llm-license",
    "nvidia-open-model-license": "nvidia-open-model-license",
    "microsoft-research-license": "microsoft-research-license",
    "stabilityai-ai-community": "stabilityai-ai-community",
    "flux-1-dev-non-commercial-license": "flux-1-dev-non-commercial-license",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> LicenseCatalog:
    return default_catalog()


def test_every_hub_licence_id_resolves_to_itself(catalog: LicenseCatalog) -> None:
    hub = json.loads((FIXTURES / "hf_license_identifiers.json").read_text(encoding="utf-8"))
    ids = [item["id"] for item in hub["licenses"] if item["id"] not in ("other", "unknown")]
    resolved = {lid: resolve_license(lid, catalog=catalog) for lid in ids}
    assert {lid: r.license_id for lid, r in resolved.items() if r.license_id != lid} == {}
    assert all(r.gap is None and r.problem is None and r.raw == lid for lid, r in resolved.items())


@pytest.mark.parametrize(("slug", "expected"), sorted(OTHER_SLUGS.items()))
def test_other_with_a_known_license_name(catalog: LicenseCatalog, slug: str, expected: str) -> None:
    resolved = resolve_license("other", slug, "https://example.org/LICENSE", catalog=catalog)
    assert (resolved.license_id, resolved.raw, resolved.gap) == (expected, f"other:{slug}", None)


@pytest.mark.parametrize(
    ("license_id", "name", "expected"),
    [
        ("deepseek-license", None, "deepseek"),  # an alias
        (" Apache-2.0 ", None, "apache-2.0"),  # case and blanks
        ("MIT", None, "mit"),  # SPDX ids
        ("BSD-3-Clause", None, "bsd-3-clause"),
        ("CC-BY-NC-4.0", None, "cc-by-nc-4.0"),
        ("OTHER", "MRL", "mrl"),
        ("other", "llama3.1", "llama3.1"),  # a Hub id given as the name
        (None, "qwen", "qwen"),  # a name without `license`
        ("llama3.1", "anything", "llama3.1"),  # a known id decides; the name is kept in the text only
    ],
)
def test_recognised(catalog: LicenseCatalog, license_id: str | None, name: str | None, expected: str) -> None:
    resolved = resolve_license(license_id, name, catalog=catalog)
    assert (resolved.license_id, resolved.gap, resolved.problem) == (expected, None, None)


@pytest.mark.parametrize(
    ("license_id", "name", "gap", "raw", "problem"),
    [
        ("other", None, ResolutionGap.OTHER_WITHOUT_NAME, "other", "license 'other' without a license_name"),
        ("other", " ", ResolutionGap.OTHER_WITHOUT_NAME, "other: ", "license 'other' without a license_name"),
        (None, "", ResolutionGap.OTHER_WITHOUT_NAME, "", "license 'other' without a license_name"),
        ("other", "my-own-terms", ResolutionGap.UNRECOGNISED, "other:my-own-terms",
         "license_name 'my-own-terms' is not a known licence"),
        ("other", "unknown", ResolutionGap.UNRECOGNISED, "other:unknown", "license_name 'unknown' is not a known licence"),
        ("Apache License 2.0", None, ResolutionGap.UNRECOGNISED, "Apache License 2.0",
         "license 'Apache License 2.0' is not a Hub licence id"),
        ("apache-2.0 OR mit", None, ResolutionGap.UNRECOGNISED, "apache-2.0 OR mit",  # an SPDX expression
         "license 'apache-2.0 OR mit' is not a Hub licence id"),
        ('["mit", "apache-2.0"]', None, ResolutionGap.UNRECOGNISED, '["mit", "apache-2.0"]',
         """license '["mit", "apache-2.0"]' is not a Hub licence id"""),
        ("unknown", None, ResolutionGap.UNRECOGNISED, "unknown", "the card declares license: unknown"),
    ],
)
def test_unrecognised_text_is_kept_raw(
    catalog: LicenseCatalog, license_id: str | None, name: str | None, gap: ResolutionGap, raw: str, problem: str
) -> None:
    resolved = resolve_license(license_id, name, catalog=catalog)
    assert (resolved.license_id, resolved.gap, resolved.raw, resolved.problem) == (UNKNOWN_ID, gap, raw, problem)
    assert resolved.declared


def test_a_link_alone_never_decides(catalog: LicenseCatalog) -> None:
    resolved = resolve_license("other", None, "https://mistral.ai/licenses/MRL-0.1.md", catalog=catalog)
    assert (resolved.license_id, resolved.gap) == (UNKNOWN_ID, ResolutionGap.OTHER_WITHOUT_NAME)
    nothing = resolve_license(None, None, "LICENSE", catalog=catalog)
    assert (nothing.license_id, nothing.gap, nothing.declared, nothing.problem) == (
        UNKNOWN_ID, ResolutionGap.NOT_DECLARED, False, None
    )
    assert not resolve_license("  ", catalog=catalog).declared


@pytest.mark.parametrize(
    ("license_id", "name"),
    [("apache-2.0", None), ("other", "deepseek-license"), ("other", None), ("other", "acme"), ("x-y", None),
     ("unknown", None), (None, "acme")],
)
def test_a_recorded_resolution_is_the_resolution_made_when_it_was_written(
    catalog: LicenseCatalog, license_id: str | None, name: str | None
) -> None:
    made = resolve_license(license_id, name, catalog=catalog)
    again = recorded_resolution(made.license_id, license_id, name)
    assert (again.license_id, again.gap) == (made.license_id, made.gap)
    if made.gap is not None:
        assert (again.raw, again.problem) == (made.raw, made.problem)
    else:
        assert again.raw == made.license_id  # a recognised licence is named by its id


def test_one_table_no_alias_names_two_entries(catalog: LicenseCatalog) -> None:
    names = Counter(name for entry in catalog for name in (entry.id, *entry.aliases))
    assert [name for name, count in names.items() if count > 1] == []
    assert all(name == name.strip().lower() for name in names)
    for entry in catalog:
        for alias in entry.aliases:
            assert resolve_license(alias, catalog=catalog).license_id == entry.id
            assert resolve_license("other", alias.upper(), catalog=catalog).license_id == entry.id


def test_an_alias_given_to_two_entries_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "licenses" / "qwen.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  - id: qwen\n" in text
    path.write_text(text.replace("  - id: qwen\n", "  - id: qwen\n    aliases: [deepseek-license]\n", 1),
                    encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="deepseek-license"):
        LicenseCatalog.load(data)


def test_an_id_is_refused_as_another_entrys_alias(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "licenses" / "rail.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("aliases: [deepseek-license]", "aliases: [mit]"),
                    encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="'mit'"):
        LicenseCatalog.load(data)
