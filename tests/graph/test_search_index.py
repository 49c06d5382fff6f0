"""models(search:) reads the trigram text index on the lower-cased id: every way a model comes into the
graph (observed, mentioned, unavailable, renamed, accepted first) carries it, and the planner uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver

from crawler.observations import AliasSeen, ModelStatus
from graph.recrawl import accept_first_observation
from graph.reads.search import ModelFilters, plan_search
from graph.reads.plan import run as run_plan
from graph.statements.search import search_statements
from graph.writer import GraphWriter

from tests.support.observations import derived, seen, src

pytestmark = pytest.mark.integration


def test_every_model_node_carries_its_lower_cased_id_and_search_finds_it_in_any_case(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen("Org/Llama-Fine"), derived("Org/Llama-Fine", "Meta/Llama-Base")], run_id="r1")
    writer.write([seen("Org/Gone-Llama", status=ModelStatus.UNAVAILABLE)], run_id="r2")
    accept_first_observation(clean_graph, ["Org/Early-LLAMA"])
    writer.write([seen("Old/Llama-Name"), AliasSeen("Old/Llama-Name", "New/Llama-Name", src("New/Llama-Name"))],
                 run_id="r3")
    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, m.search_id AS search_id ORDER BY id"
    )
    assert records and all(r["search_id"] == r["id"].lower() for r in records), [dict(r) for r in records]
    found = run_plan(clean_graph, plan_search(ModelFilters(search="LlAmA")), None)
    assert {f.id for f in found.items} == {r["id"] for r in records} and found.total == len(records)


def test_the_search_text_is_answered_from_the_text_index(clean_graph: Driver) -> None:
    count_statement, page_statement = search_statements(frozenset({"needle"}))
    for statement in (count_statement, page_statement):
        plan = clean_graph.execute_query(
            "EXPLAIN " + statement, needle="llama", after_key=None, after_id=None, limit=10
        ).summary.plan
        operators = list(_operators(plan))
        assert any("TEXT INDEX m:Model(search_id)" in str(details) for _, details in operators), operators


def test_an_author_is_answered_from_the_text_index_too(clean_graph: Driver) -> None:
    count_statement, page_statement = search_statements(frozenset({"author_prefix"}))
    for statement in (count_statement, page_statement):
        plan = clean_graph.execute_query(
            "EXPLAIN " + statement, author_prefix="mistralai/", after_key=None, after_id=None, limit=10
        ).summary.plan
        operators = list(_operators(plan))
        assert any("TEXT INDEX m:Model(search_id)" in str(details) for _, details in operators), operators


def _operators(plan: dict[str, object]) -> Iterator[tuple[str, object]]:
    args = plan.get("args")
    yield str(plan.get("operatorType")), args.get("Details") if isinstance(args, dict) else None
    for child in plan.get("children") or []:  # type: ignore[union-attr]
        yield from _operators(child)
