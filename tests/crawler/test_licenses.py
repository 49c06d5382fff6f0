"""crawler.licenses: Hub ids and `other` + license_name slugs to canonical ids, nothing guessed."""

from __future__ import annotations

import pytest

from crawler.licenses import UNKNOWN, license_table, normalise_license, resolve_declared_license

# The slugs of the licence knowledge base (reference ai-licenses.md §8, `other:<slug>` rows).
KNOWLEDGE_BASE_SLUGS = [
    "deepseek", "stabilityai-ai-community", "flux-1-dev-non-commercial-license", "mrl", "mnpl",
    "tongyi-qianwen", "qwen", "qwen-research", "falcon-llm-license", "nvidia-open-model-license",
    "microsoft-research-license",
]  # fmt: skip
AI_HUB_IDS = [
    "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma", "openrail", "openrail++",
    "creativeml-openrail-m", "bigscience-openrail-m", "bigscience-bloom-rail-1.0", "bigcode-openrail-m",
    "apache-2.0", "mit", "cc-by-nc-4.0", "cc-by-4.0", "gpl-3.0", "agpl-3.0", "openmdw-1.0",
]  # fmt: skip


@pytest.mark.parametrize("hub_id", AI_HUB_IDS)
def test_hub_ids_are_their_own_canonical_id(hub_id: str) -> None:
    resolution = normalise_license(hub_id)
    assert (resolution.license_id, resolution.raw, resolution.problem) == (hub_id, hub_id, None)


def test_table_has_the_hub_list() -> None:
    table = license_table()
    assert len(table.hub_ids) == 83
    assert {"other", "unknown", "apache-2.0", "llama3.1"} <= table.hub_ids


@pytest.mark.parametrize("slug", KNOWLEDGE_BASE_SLUGS)
def test_other_with_a_known_license_name(slug: str) -> None:
    resolution = normalise_license("other", slug, "https://example.org/LICENSE")
    assert resolution.license_id == slug
    assert resolution.raw == "other" and resolution.license_name == slug
    assert resolution.license_link == "https://example.org/LICENSE"
    assert resolution.problem is None


def test_second_deepseek_slug_and_case_and_spaces() -> None:
    assert normalise_license("other", "deepseek-license").license_id == "deepseek"
    assert normalise_license(" Apache-2.0 ").license_id == "apache-2.0"
    assert normalise_license(" Apache-2.0 ").raw == " Apache-2.0 "  # verbatim
    assert normalise_license("OTHER", "MRL").license_id == "mrl"


@pytest.mark.parametrize(
    ("license", "name", "raw"),
    [
        ("other", None, "other"),
        ("other", "my-own-license", "other"),
        ("llama-3-community", None, "llama-3-community"),
        ("Apache License 2.0", None, "Apache License 2.0"),
        (["mit", "apache-2.0"], None, '["mit", "apache-2.0"]'),
        (42, None, "42"),
        ("unknown", None, "unknown"),
    ],
)
def test_anything_else_is_unknown_verbatim(license: object, name: str | None, raw: str) -> None:
    resolution = normalise_license(license, name)
    assert resolution.license_id == UNKNOWN
    assert resolution.raw == raw
    assert resolution.license_name == name
    assert resolution.problem


def test_a_link_alone_never_decides() -> None:
    resolution = normalise_license("other", None, "https://mistral.ai/licenses/MRL-0.1.md")
    assert resolution.license_id == UNKNOWN


def test_single_item_list_and_nothing_declared() -> None:
    assert normalise_license(["gemma"]).license_id == "gemma"
    assert normalise_license(None).license_id is None
    assert normalise_license("").license_id is None


def test_card_and_tags() -> None:
    agree, disagreement = resolve_declared_license({"license": "mit"}, ["license:mit", "region:us"])
    assert agree.license_id == "mit" and disagreement is None
    other, disagreement = resolve_declared_license({"license": "other", "license_name": "qwen"}, ["license:other"])
    assert other.license_id == "qwen" and disagreement is None
    card_wins, disagreement = resolve_declared_license({"license": "llama3"}, ["license:llama3.1"])
    assert card_wins.license_id == "llama3"
    assert disagreement is not None and "llama3.1" in disagreement
    from_tag, disagreement = resolve_declared_license(None, ["license:cc-by-nc-4.0"])
    assert from_tag.license_id == "cc-by-nc-4.0" and disagreement is None
    two_tags, _ = resolve_declared_license({}, ["license:mit", "license:apache-2.0"])
    assert two_tags.license_id == UNKNOWN
    nothing, _ = resolve_declared_license({}, [])
    assert nothing.license_id is None
