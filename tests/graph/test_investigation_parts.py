"""Pure parts of the dossier: the as-of instant, cycles in a lineage, the canonical hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reports.dossier import InvalidAsOf, canonical_bytes, content_hash, format_instant, parse_as_of
from reports.dossier.build import find_cycles

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-09-01", datetime(2024, 9, 1, tzinfo=UTC)),
        ("2024-09-01T10:30:00Z", datetime(2024, 9, 1, 10, 30, tzinfo=UTC)),
        ("2024-09-01T10:30:00", datetime(2024, 9, 1, 10, 30, tzinfo=UTC)),
        ("2024-09-01T12:30:00+02:00", datetime(2024, 9, 1, 10, 30, tzinfo=UTC)),
        ("2024-09-01T23:59:59 00:00", datetime(2024, 9, 1, 23, 59, 59, tzinfo=UTC)),  # '+' lost in a URL
        ("2024-09-01T10:30:00.250Z", datetime(2024, 9, 1, 10, 30, 0, 250000, tzinfo=UTC)),
        ("  ", None),
        (None, None),
    ],
)
def test_as_of_forms(text: str | None, expected: datetime | None) -> None:
    assert parse_as_of(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("yesterday", "not an ISO 8601 instant or date"),
        ("2024-13-01", "not an ISO 8601 instant or date"),
        ("2025-06-01T12:00:01Z", "in the future"),
        ("2025-06-02", "in the future"),
        ("9" * 200, "200 characters"),
    ],
)
def test_bad_as_of_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidAsOf, match=says):
        parse_as_of(text, now=NOW)


def test_now_itself_is_accepted_and_instants_read_back_in_utc() -> None:
    assert parse_as_of(format_instant(NOW), now=NOW) == NOW
    plus_two = datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_instant(plus_two) == "2024-01-01T00:00:00Z"


def test_cycles_of_length_one_two_and_three_are_found_once_each() -> None:
    assert find_cycles("a", (), [("a", "a")]) == (("a", "a"),)
    # a → b → a: the paths read stops where the cycle closes
    assert find_cycles("a", (("a", "b"),), [("a", "b"), ("b", "a")]) == (("a", "b", "a"),)
    edges = [("x", "c"), ("c", "d"), ("d", "e"), ("e", "c"), ("d", "root")]
    paths = (("x", "c", "d", "e"), ("x", "c", "d", "root"))
    assert find_cycles("x", paths, edges) == (("c", "d", "e", "c"),)
    assert find_cycles("x", (("x", "y"),), [("x", "y")]) == ()


def test_the_hash_is_over_canonical_json() -> None:
    one = {"b": [1, {"y": "é", "x": None}], "a": "z"}
    two = {"a": "z", "b": [1, {"x": None, "y": "é"}]}
    assert canonical_bytes(one) == canonical_bytes(two) == '{"a":"z","b":[1,{"x":null,"y":"é"}]}'.encode()
    assert content_hash(one) == content_hash(two)
    assert content_hash(one).startswith("sha256:") and len(content_hash(one)) == 7 + 64
    assert content_hash({"a": "z", "b": [1, {"x": None, "y": "e"}]}) != content_hash(one)
    with pytest.raises(ValueError):
        canonical_bytes({"n": float("nan")})
