"""crawler.licenses: the licence a card and its tags declare, read as written, never resolved."""

from __future__ import annotations

import pytest

from crawler.licenses import read_declared_license
from crawler.observations import DeclaredLicense


@pytest.mark.parametrize(
    ("card", "declared"),
    [
        ({"license": "apache-2.0"}, DeclaredLicense("apache-2.0")),
        ({"license": " Apache-2.0 "}, DeclaredLicense(" Apache-2.0 ")),  # verbatim: case and blanks kept
        ({"license": "llama-3-community"}, DeclaredLicense("llama-3-community")),  # not looked up here
        ({"license": "Apache-2.0 OR MIT"}, DeclaredLicense("Apache-2.0 OR MIT")),  # an SPDX expression stays text
        (
            {"license": "other", "license_name": "mrl", "license_link": "https://mistral.ai/licenses/MRL-0.1.md"},
            DeclaredLicense("other", "mrl", "https://mistral.ai/licenses/MRL-0.1.md"),
        ),
        ({"license": ["mit", "apache-2.0"]}, DeclaredLicense('["mit", "apache-2.0"]')),
        ({"license": 42}, DeclaredLicense("42")),
        ({"license": "unknown"}, DeclaredLicense("unknown")),
    ],
)
def test_the_card_is_read_as_written(card: dict[str, object], declared: DeclaredLicense) -> None:
    assert read_declared_license(card, []) == (declared, None)


def test_a_one_item_list_is_its_item_and_keeps_how_it_was_written() -> None:
    declared, _ = read_declared_license({"license": ["gemma"]}, [])
    assert declared == DeclaredLicense("gemma", written_as='["gemma"]')
    assert declared is not None and declared.raw == '["gemma"]'


def test_nothing_declared() -> None:
    assert read_declared_license({}, []) == (None, None)
    assert read_declared_license(None, []) == (None, None)
    assert read_declared_license({"license": ""}, []) == (None, None)
    assert read_declared_license({"license": "  ", "license_name": "qwen"}, [])[0] == DeclaredLicense(None, "qwen")
    assert read_declared_license({"license_link": "LICENSE"}, [])[0] == DeclaredLicense(link="LICENSE")


def test_card_and_tags() -> None:
    agree, disagreement = read_declared_license({"license": "mit"}, ["license:mit", "region:us"])
    assert agree == DeclaredLicense("mit") and disagreement is None
    other, disagreement = read_declared_license({"license": "other", "license_name": "qwen"}, ["license:other"])
    assert other == DeclaredLicense("other", "qwen") and disagreement is None
    same_but_case, disagreement = read_declared_license({"license": "MIT"}, ["license:mit"])
    assert same_but_case == DeclaredLicense("MIT") and disagreement is None
    card_wins, disagreement = read_declared_license({"license": "llama3"}, ["license:llama3.1"])
    assert card_wins == DeclaredLicense("llama3")
    assert disagreement == "card license 'llama3' but tags say llama3.1"
    from_tag, disagreement = read_declared_license(None, ["license:cc-by-nc-4.0"])
    assert from_tag == DeclaredLicense("cc-by-nc-4.0") and disagreement is None
    with_name, _ = read_declared_license({"license_name": "qwen"}, ["license:other"])
    assert with_name == DeclaredLicense("other", "qwen")
    two_tags, _ = read_declared_license({}, ["license:mit", "license:apache-2.0"])
    assert two_tags == DeclaredLicense('["apache-2.0", "mit"]')
