"""RULES.md and the README's rule table document exactly the rules of the registry, with the same severities."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import terms.propagation
from terms.propagation import RULES

RULES_MD = Path(terms.propagation.__file__).parent / "RULES.md"
README = Path(terms.propagation.__file__).parents[2] / "README.md"


@pytest.mark.parametrize("document", [RULES_MD, README], ids=["RULES.md", "README.md"])
def test_the_rule_table_matches_the_registry(document: Path) -> None:
    rows = re.findall(r"^\| `([A-Z0-9a-z]+)` \| (violation|warning|info) \| (.+) \|$",
                      document.read_text(encoding="utf-8"), re.MULTILINE)
    assert [(rule, severity) for rule, severity, _ in rows] == [(r.id, r.severity.value) for r in RULES.values()]
    assert [meaning for _, _, meaning in rows] == [r.meaning for r in RULES.values()]


def test_the_28_rules_of_the_reference_are_covered() -> None:
    numbers = {int(match.group(1)) for rule in RULES if (match := re.match(r"R(\d+)", rule))}
    assert set(range(1, 29)) <= numbers
