"""Every worked example of docs/graphql.md, run against the bundled snapshot through the real schema.

An example is a ```graphql block, optionally followed by a ```json variables block, and then a
```json expect block: the part of the answer the document shows. The answer must contain it — a
subset match: every key of an object, every item of a list (in any order) matched by some item of
the answer's list, scalars equal. Without ``errors`` in the expectation the answer must have none;
with it, each expected error must match one of the answer's errors (message, path, extensions).
The test runs whatever examples the file holds, so new ones need no change here.

To write the excerpt of a new example, run this module with ``LINEAGE_DOCS_ANSWERS=<file.json>``:
the full answer of every example is written there (the test still checks the expectations).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.settings import ApiSettings
from graph.client import GraphClient
from lineage.demo import EXAMPLE_QUERIES
from tests.support.graphql import run_graphql

DOC = Path(__file__).resolve().parents[2] / "docs" / "graphql.md"
_FENCE = re.compile(r"^```([A-Za-z]+)[ \t]*([A-Za-z]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^#{2,4} +(.+?) *$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    title: str  # the heading above the query
    line: int
    query: str
    variables: dict[str, Any]
    expect: dict[str, Any] | None


def examples(text: str) -> list[Example]:
    """The examples of the document, in order (see the module's docstring for their form)."""
    headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(text)]
    found: list[dict[str, Any]] = []
    for block in _FENCE.finditer(text):
        language, role, body = block.group(1), block.group(2), block.group(3)
        if language == "graphql":
            title = next((h for at, h in reversed(headings) if at < block.start()), "")
            found.append({"title": title, "line": text.count("\n", 0, block.start()) + 1, "query": body,
                          "variables": {}, "expect": None})
        elif language == "json" and role in ("variables", "expect") and found:
            found[-1][role] = json.loads(body)
    return [Example(**f) for f in found]


def mismatches(actual: Any, expected: Any, where: str = "answer") -> list[str]:
    """Where ``expected`` is not contained in ``actual`` (empty: it is)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}.{key}: missing")
            else:
                out.extend(mismatches(actual[key], value, f"{where}.{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        return [f"{where}: no item matches {item!r}" for item in expected
                if not any(not mismatches(candidate, item) for candidate in actual)]
    return [] if actual == expected else [f"{where}: expected {expected!r}, got {actual!r}"]


def _answer(result: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [{"message": e.message, "path": e.path, "extensions": e.extensions or {}}
                            for e in result.errors]
    return answer


EXAMPLES = examples(DOC.read_text(encoding="utf-8"))
_ANSWERS: dict[str, Any] = {}


def test_a_subset_matches_and_anything_else_is_named() -> None:
    answer = {"data": {"models": {"totalCount": 5, "edges": [{"id": "a", "x": 1}, {"id": "b", "x": 2}]}}}
    assert mismatches(answer, {"data": {"models": {"edges": [{"id": "b"}]}}}) == []
    wrong = mismatches(answer, {"data": {"models": {"totalCount": 4}}})
    assert wrong == ["answer.data.models.totalCount: expected 4, got 5"]
    assert mismatches(answer, {"data": {"models": {"edges": [{"id": "c"}]}}}) != []
    assert mismatches(answer, {"data": {"model": None}}) == ["answer.data.model: missing"]
    assert mismatches({"data": None}, {"data": {"model": None}}) != []


def test_examples_are_read_with_their_variables_and_expectations() -> None:
    text = ("## A\n\n### One\n\n```graphql\n{ a }\n```\n\n```json variables\n{\"id\": 1}\n```\n\n"
            "```json expect\n{\"data\": {}}\n```\n\n```json\n{\"not\": \"an expectation\"}\n```\n\n"
            "### Two\n\n```graphql\n{ b }\n```\n")
    one, two = examples(text)
    assert (one.title, one.query, one.variables, one.expect) == ("One", "{ a }\n", {"id": 1}, {"data": {}})
    assert (two.title, two.variables, two.expect) == ("Two", {}, None)


def test_the_document_has_the_readme_questions_and_ten_more_each_with_an_expectation() -> None:
    assert len(EXAMPLES) >= len(EXAMPLE_QUERIES) + 10
    assert [e.title for e in EXAMPLES if e.expect is None] == []
    assert len({e.title for e in EXAMPLES}) == len(EXAMPLES), "each example under its own heading"
    queries = {" ".join(e.query.split()) for e in EXAMPLES}
    for question, query in EXAMPLE_QUERIES:  # the questions `lineage demo` prints, word for word
        assert " ".join(query.split()) in queries, question


@pytest.mark.integration
@pytest.mark.anyio
@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line{e.line}" for e in EXAMPLES])
async def test_each_example_answers_what_the_document_shows(
    example: Example, graph: GraphClient, settings: ApiSettings
) -> None:
    result = await run_graphql(graph, example.query, example.variables, settings=settings)
    answer = _answer(result)
    dump = os.environ.get("LINEAGE_DOCS_ANSWERS")
    if dump:
        _ANSWERS[f"{example.line} {example.title}"] = answer
        Path(dump).write_text(json.dumps(_ANSWERS, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    assert example.expect is not None, f"{example.title}: no ```json expect block"
    if "errors" not in example.expect:
        assert result.errors is None, f"{example.title}: {result.errors}"
    assert mismatches(answer, example.expect) == [], example.title
