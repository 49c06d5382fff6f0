"""Constructed fixture models are left out of statistics over GraphQL unless asked for (issue 15).

The bundled snapshot holds ``lineage-fixtures/Llama-3.1-8B-relicensed-ft``, a constructed fine-tune of
``meta-llama/Llama-3.1-8B`` declaring llama3.1 now, and a constructed orphan of a deleted base. The
family, licence and term aggregates of ``propagation`` and the descendant counts of ``roots`` equal
what Cypher and the engine give over the real members; ``includeFixtures: true`` counts the fixtures;
a fixture root asked for answers for its own family.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import Driver

from api.settings import ApiSettings
from graph.client import GraphClient
from graph.results.engine_input import load_lineage_view
from terms.licenses import default_catalog
from terms.propagation import PropagationEngine
from tests.support.graphql import run_graphql

pytestmark = pytest.mark.integration

LLAMA = "meta-llama/Llama-3.1-8B"
RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
ORPHAN = "lineage-fixtures/orphan-of-deleted-base"
FIXTURES = "lineage-fixtures/"

SCOPE = """query($root: ID, $license: String, $term: String, $asOf: DateTime, $include: Boolean!) {
  propagation(root: $root, license: $license, term: $term, asOf: $asOf, includeFixtures: $include) {
    scope source totalModels byDepth { depth count } byRelation { relation count }
    termFlow { termId kind keep drop violate }
    topRelicensingPoints { parent { id } child { id } droppedTerms downstreamCount }
    conflictsByRule { ruleId severity conflicts models }
    deploymentsReached { id modelId } deploymentsReachedCount
    graph(limit: 5000) { truncated nodes { id depth } edges { child parent relation } } } }"""


async def scope(graph: GraphClient, settings: ApiSettings, include: bool = False, **variables: Any) -> Any:
    result = await run_graphql(graph, SCOPE, {"include": include, **variables}, settings=settings)
    assert result.errors is None, result.errors
    return result.data["propagation"]


def cypher(driver: Driver, query: str, **params: Any) -> list[Any]:
    records, _, _ = driver.execute_query(query, params)
    return records


def family_members(driver: Driver, root: str, *, fixtures: bool) -> list[str]:
    where = "" if fixtures else "WHERE NOT x.id STARTS WITH $fixtures"
    rows = cypher(driver, f"MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {{id: $id}}) {where} RETURN x.id AS id",
                  id=root, fixtures=FIXTURES)
    return [root, *sorted(str(r["id"]) for r in rows)]


def expected_tallies(driver: Driver, root: str, members: list[str]) -> tuple[dict[Any, Any], dict[str, int]]:
    """Conflicts by rule (conflicts, models) over the members and descendants reached by each term, by the engine."""
    loaded = load_lineage_view(driver, members)
    results = PropagationEngine(default_catalog()).run(loaded.view).results([m for m in members if m in loaded.view.nodes])
    conflicts = Counter((c.rule, c.severity.value.upper()) for r in results.values() for c in r.conflicts)
    models = Counter(p for r in results.values() for p in {(c.rule, c.severity.value.upper()) for c in r.conflicts})
    reached = Counter(t for m, r in results.items() if m != root for t in r.term_ids)
    return {p: (n, models[p]) for p, n in conflicts.items()}, dict(reached)


@pytest.mark.anyio
@pytest.mark.parametrize("include", [False, True])
async def test_the_llama_family_counts_the_fixture_only_when_asked(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver, include: bool
) -> None:
    data = await scope(graph, settings, include, root=LLAMA)
    members = family_members(neo4j_driver, LLAMA, fixtures=include)
    assert (RELICENSED in members) is include
    assert data["source"] == "materialised"
    assert data["totalModels"] == len(members) > 10
    assert sum(d["count"] for d in data["byDepth"]) == len(members)
    assert sum(r["count"] for r in data["byRelation"]) == len(members) - 1
    assert sorted(n["id"] for n in data["graph"]["nodes"]) == sorted(members) and not data["graph"]["truncated"]
    rules, reached = expected_tallies(neo4j_driver, LLAMA, members)
    assert {(r["ruleId"], r["severity"]): (r["conflicts"], r["models"]) for r in data["conflictsByRule"]} == rules
    assert {f["termId"]: f["keep"] + f["drop"] + f["violate"] for f in data["termFlow"]} == reached
    served = cypher(neo4j_driver, "UNWIND $ids AS id MATCH (:Deployment)-[s:SERVES]->(:Model {id: id}) RETURN count(s) AS n",
                    ids=members)[0]["n"]
    assert data["deploymentsReachedCount"] == served
    assert {d["modelId"] for d in data["deploymentsReached"]} <= set(members)
    for point in data["topRelicensingPoints"]:
        assert point["child"]["id"] in members
        assert point["downstreamCount"] == len(family_members(neo4j_driver, point["child"]["id"], fixtures=include))


@pytest.mark.anyio
async def test_the_fixture_makes_the_difference_between_the_two_answers(graph: GraphClient, settings: ApiSettings) -> None:
    plain = await scope(graph, settings, root=LLAMA)
    counted = await scope(graph, settings, True, root=LLAMA)
    assert counted["totalModels"] == plain["totalModels"] + 1
    relicensed_depth = next(n["depth"] for n in counted["graph"]["nodes"] if n["id"] == RELICENSED)
    depth_counts = lambda d: {x["depth"]: x["count"] for x in d["byDepth"]}  # noqa: E731
    assert depth_counts(counted)[relicensed_depth] == depth_counts(plain).get(relicensed_depth, 0) + 1
    flow = lambda d: {f["termId"]: f["keep"] + f["drop"] + f["violate"] for f in d["termFlow"]}  # noqa: E731
    assert sum(flow(counted).values()) > sum(flow(plain).values())


@pytest.mark.anyio
@pytest.mark.parametrize("include", [False, True])
async def test_materialised_and_computed_paths_agree(graph: GraphClient, settings: ApiSettings, include: bool) -> None:
    now = await scope(graph, settings, include, root=LLAMA)
    computed = await scope(graph, settings, include, root=LLAMA, asOf=datetime.now(UTC).isoformat())
    assert (now["source"], computed["source"]) == ("materialised", "computed")
    for field in ("totalModels", "byDepth", "byRelation", "termFlow", "conflictsByRule", "deploymentsReachedCount"):
        assert now[field] == computed[field], field
    key = lambda p: (p["child"]["id"], p["parent"]["id"])  # noqa: E731
    assert sorted(now["topRelicensingPoints"], key=key) == sorted(computed["topRelicensingPoints"], key=key)
    assert sorted(n["id"] for n in now["graph"]["nodes"]) == sorted(n["id"] for n in computed["graph"]["nodes"])


@pytest.mark.anyio
async def test_licence_and_term_scopes_leave_the_fixture_out_unless_asked(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    declared = "MATCH (m:Model {declared_license: 'llama3.1'}) WHERE $all OR NOT m.id STARTS WITH $fixtures RETURN count(m) AS n"
    for include in (False, True):
        data = await scope(graph, settings, include, license="llama3.1")
        assert data["byDepth"][0] == {"depth": 0, "count": cypher(neo4j_driver, declared, all=include, fixtures=FIXTURES)[0]["n"]}
        assert (RELICENSED in {n["id"] for n in data["graph"]["nodes"]}) is include
    plain = await scope(graph, settings, license="llama3.1")
    counted = await scope(graph, settings, True, license="llama3.1")
    assert counted["totalModels"] == plain["totalModels"] + 1
    term_plain = await scope(graph, settings, term="threshold:mau:700000000")
    term_counted = await scope(graph, settings, True, term="threshold:mau:700000000")
    assert RELICENSED not in {n["id"] for n in term_plain["graph"]["nodes"]}
    assert term_counted["totalModels"] == term_plain["totalModels"] + 1


@pytest.mark.anyio
async def test_a_fixture_root_asked_for_answers_for_its_own_family(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    parents = "MATCH (:Model {id: $id})-[r:DERIVED_FROM]->(p:Model) WHERE r.valid_to IS NULL RETURN p.id AS p"
    [base] = [str(r["p"]) for r in cypher(neo4j_driver, parents, id=ORPHAN)]
    assert base.startswith(FIXTURES)
    for include in (False, True):
        data = await scope(graph, settings, include, root=base)
        assert data["scope"] == f"root:{base}"
        assert sorted(n["id"] for n in data["graph"]["nodes"]) == family_members(neo4j_driver, base, fixtures=True)
        assert ORPHAN in {n["id"] for n in data["graph"]["nodes"]} and data["totalModels"] >= 2
    relicensed = await scope(graph, settings, root=RELICENSED)
    assert relicensed["scope"] == f"root:{RELICENSED}" and relicensed["graph"]["nodes"][0]["id"] == RELICENSED


@pytest.mark.anyio
async def test_roots_descendant_counts_leave_fixtures_out(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    result = await run_graphql(graph, "{ roots(first: 100) { edges { descendantCount model { id descendantCount } } } }",
                               settings=settings)
    assert result.errors is None, result.errors
    edges = result.data["roots"]["edges"]
    assert all(r["descendantCount"] == r["model"]["descendantCount"] for r in edges)
    counts = {r["model"]["id"]: r["descendantCount"] for r in edges}
    assert counts[LLAMA] == len(family_members(neo4j_driver, LLAMA, fixtures=False)) - 1
    assert counts[LLAMA] == len(family_members(neo4j_driver, LLAMA, fixtures=True)) - 2
