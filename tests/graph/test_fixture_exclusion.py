"""Constructed fixture models (``lineage-fixtures/…``) stay graph members but count in no statistic.

On the bundled snapshot, the Llama 3.1 8B family holds the fixture
``lineage-fixtures/Llama-3.1-8B-relicensed-ft`` (a licence change between two revisions): every
aggregate of the family, of the licence it declares now (llama3.1) and of the roots leaves it out by
default and counts it when the fixture prefixes are emptied. The statements keep the plans they had
(the index seeks of the statement without the fixture condition).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import Driver

from graph.reads import family
from graph.reads import plan as c
from graph.reads.search import plan_roots
from graph.reads.scope import counted_prefixes, plan_scope_members
from graph.results.aggregates import family_aggregate, reach, relicensing_points
from graph.settings import GraphSettings, configured_fixture_prefixes
from graph.statements import propagation as pq
from graph.statements import reads as rq
from graph.statements import search as sq
from graph.statements.fixtures import not_fixture
from graph.statements.lineage import KEY_SEP
from tests.support.bundled import BundledGraph

LLAMA = "meta-llama/Llama-3.1-8B"
RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
FIXTURES = "lineage-fixtures/"
NOT_FIXTURE = "NOT x.id STARTS WITH 'lineage-fixtures/'"


def test_the_setting_names_the_reserved_namespace_and_reads_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GraphSettings().fixture_prefixes == (FIXTURES,)
    monkeypatch.setenv("LINEAGE_GRAPH_FIXTURE_PREFIXES", "lineage-fixtures/, acme-tests/")
    assert GraphSettings().fixture_prefixes == (FIXTURES, "acme-tests/")
    monkeypatch.setenv("LINEAGE_GRAPH_FIXTURE_PREFIXES", "")
    assert GraphSettings().fixture_prefixes == ()
    assert GraphSettings.model_fields["fixture_prefixes"].description


def test_what_a_question_leaves_out() -> None:
    assert configured_fixture_prefixes() == (FIXTURES,)
    assert counted_prefixes(LLAMA) == (FIXTURES,)
    assert counted_prefixes(LLAMA, include_fixtures=True) == ()
    assert counted_prefixes(RELICENSED) == (), "a fixture root asked for counts its own family"
    assert counted_prefixes(None, fixture_prefixes=["x/"]) == ("x/",)


def _one(driver: Driver, query: str, **params: Any) -> Any:
    records, _, _ = driver.execute_query(query, params)
    return records[0][0]


@pytest.fixture
def bundled(bundled_graph: BundledGraph, neo4j_driver: Driver) -> Driver:
    bundled_graph.ensure()
    return neo4j_driver


@pytest.mark.integration
def test_family_statistics_leave_the_fixture_out_unless_asked(bundled: Driver) -> None:
    below = "MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {id: $id}) "
    everyone = _one(bundled, below + "RETURN count(x)", id=LLAMA)
    real = _one(bundled, below + f"WHERE {NOT_FIXTURE} RETURN count(x)", id=LLAMA)
    assert _one(bundled, below + "WHERE x.id = $f RETURN count(x)", id=LLAMA, f=RELICENSED) == 1
    assert real == everyone - 1 > 10

    aggregate = family_aggregate(bundled, LLAMA)
    assert aggregate is not None and aggregate.descendants == real
    counted = family_aggregate(bundled, LLAMA, fixture_prefixes=())
    assert counted is not None and counted.descendants == everyone
    # the fixture declares llama3.1 now: one descendant more under that licence when counted
    assert dict(counted.by_license)["llama3.1"] == dict(aggregate.by_license)["llama3.1"] + 1

    sizes = family(bundled, LLAMA)
    assert sizes.total == real and sum(n for _, n in sizes.by_depth) == real
    assert family(bundled, LLAMA, fixture_prefixes=()).total == everyone

    for point in relicensing_points(bundled, LLAMA, limit=50):
        assert not point.model_id.startswith(FIXTURES)
        downstream = _one(bundled, "MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {id: $id}) "
                          f"WHERE {NOT_FIXTURE} RETURN count(x)", id=point.model_id)
        assert point.downstream == 1 + downstream

    members = c.run(bundled, plan_scope_members(root=LLAMA, scope=f"root:{LLAMA}"), None)
    assert members is not None and RELICENSED not in {m.id for m in members.members}
    assert len(members.members) == 1 + real
    with_fixtures = c.run(bundled, plan_scope_members(root=LLAMA, scope=f"root:{LLAMA}", fixture_prefixes=()), None)
    assert with_fixtures is not None and RELICENSED in {m.id for m in with_fixtures.members}


@pytest.mark.integration
def test_as_of_members_leave_the_fixture_out(bundled: Driver) -> None:
    """Before 2024-10-15 the graph knew the relicensed fixture below Llama 3.1 8B (dated by its commits)."""
    at = datetime(2024, 9, 1, 23, 59, 59, tzinfo=UTC)
    plain = c.run(bundled, plan_scope_members(root=LLAMA, scope="root", as_of=at), None)
    counted = c.run(bundled, plan_scope_members(root=LLAMA, scope="root", as_of=at, fixture_prefixes=()), None)
    assert plain is not None and counted is not None
    assert RELICENSED in {m.id for m in counted.members}
    assert {m.id for m in plain.members} == {m.id for m in counted.members} - {RELICENSED}


@pytest.mark.integration
def test_licence_reach_and_licence_scope_leave_the_fixture_out(bundled: Driver) -> None:
    declared = "MATCH (x:Model {declared_license: 'llama3.1'}) "
    everyone = _one(bundled, declared + "RETURN count(x)")
    real = _one(bundled, declared + f"WHERE {NOT_FIXTURE} RETURN count(x)")
    assert real == everyone - 1 > 0
    scope = c.run(bundled, plan_scope_members(licenses=["llama3.1"], scope="license:llama3.1"), None)
    assert scope is not None and len(scope.sources) == real and RELICENSED not in {m.id for m in scope.members}
    counted = c.run(bundled, plan_scope_members(licenses=["llama3.1"], scope="l", fixture_prefixes=()), None)
    assert counted is not None and len(counted.sources) == everyone

    in_force = "MATCH (x:Model) WHERE 'llama3.1' IN x.eff_licenses "
    assert reach(bundled, license_id="llama3.1").models == _one(bundled, in_force + f"AND {NOT_FIXTURE} RETURN count(x)")
    assert reach(bundled, license_id="llama3.1", fixture_prefixes=()).models == _one(bundled, in_force + "RETURN count(x)")


@pytest.mark.integration
def test_roots_do_not_count_fixtures_as_descendants(bundled: Driver) -> None:
    roots = {r.model.id: r.descendants for r in c.run(bundled, plan_roots(limit=200), None).items}
    assert roots[LLAMA] == _one(bundled, "MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {id: $id}) "
                                f"WHERE {NOT_FIXTURE} RETURN count(x)", id=LLAMA)


def _operators(plan: dict[str, Any]) -> set[str]:
    found = {str(plan["operatorType"]).split("@")[0]}
    for child in plan.get("children", ()):
        found |= _operators(child)
    return found


def _index_operators(driver: Driver, statement: str, params: dict[str, Any]) -> set[str]:
    with driver.session(database="neo4j") as session:
        plan = session.run("EXPLAIN " + statement, params).consume().plan
    assert plan is not None
    return {op for op in _operators(plan) if "Index" in op or "Seek" in op}


STATEMENTS = {
    "FAMILY_GROUPS": (pq.FAMILY_GROUPS, ("x",)),
    "RELICENSING_POINTS": (pq.RELICENSING_POINTS, ("x", "y")),
    "ALL_GROUPS": (pq.ALL_GROUPS, ("x",)),
    "FAMILY_MEMBERS": (rq.FAMILY_MEMBERS, ("x",)),
    "FAMILY_INDEX": (rq.FAMILY_INDEX, ("x",)),
    "FAMILY_DRAW": (rq.FAMILY_DRAW, ("x",)),
    "FAMILY_DEPLOYMENTS": (rq.FAMILY_DEPLOYMENTS, ("x",)),
    "LICENSE_SOURCES now": (rq.LICENSE_SOURCES[False], ("m",)),
    "LICENSE_SOURCES as of": (rq.LICENSE_SOURCES[True], ("m",)),
    "LICENSE_MEMBERS": (rq.LICENSE_MEMBERS, ("x",)),
    "walk as of": (rq.descendants_walk_statement(32, True, True), ("x",)),
    "ROOTS_PAGE": (sq.ROOTS_PAGE, ("x",)),
    "DESCENDANT_COUNTS": (sq.DESCENDANT_COUNTS, ("x",)),
}


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_the_fixture_condition_keeps_the_index_seeks(bundled: Driver, name: str) -> None:
    """EXPLAIN each statement with and without the condition: every index operator the planner used
    without it (id lookups, the ancestry key range, the licence index) it still uses."""
    statement, variables = STATEMENTS[name]
    assert all(not_fixture(v) in statement for v in variables)
    baseline = statement
    for v in variables:
        baseline = baseline.replace(not_fixture(v), "true")
    params = {
        "id": LLAMA, "ids": [LLAMA], "licenses": ["llama3.1"], "as_of": datetime.now(UTC), "limit": 10,
        "max_depth": 64, "sep": KEY_SEP, "hi": chr(ord(KEY_SEP) + 1), "fixture_prefixes": [FIXTURES],
        "after_key": None, "after_id": None,
    }
    before = _index_operators(bundled, baseline, params)
    after = _index_operators(bundled, statement, params)
    assert before <= after, (name, before, after)
