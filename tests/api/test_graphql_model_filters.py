"""models(...) on the bundled real snapshot: every filter and order against a plain Cypher reading of the graph,
one licence resolver (any case, any alias), case-insensitive authors, keyset pages that round-trip."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import Driver

from api.settings import ApiSettings
from graph.client import GraphClient
from tests.support.graphql import run_graphql

pytestmark = pytest.mark.integration

PAGE = "totalCount edges { id } pageInfo { hasNextPage endCursor }"


async def ok(graph: GraphClient, settings: ApiSettings, query: str, **variables: Any) -> Any:
    result = await run_graphql(graph, query, variables, settings=settings)
    assert result.errors is None, result.errors
    return result.data


def cypher(driver: Driver, statement: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(statement, params)
    return [dict(r) for r in records]


async def every_id(graph: GraphClient, settings: ApiSettings, arguments: str, first: int = 200) -> list[str]:
    """Every model of ``models(<arguments>)``, page after page; the total must match what was paged."""
    query = "query($after: String) { models(%s, first: %d, after: $after) { %s } }" % (arguments, first, PAGE)
    seen: list[str] = []
    after = None
    for _ in range(200):
        page = (await ok(graph, settings, query, after=after))["models"]
        seen.extend(e["id"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(seen)
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


def ids(driver: Driver, where: str, **params: Any) -> list[str]:
    return sorted(r["id"] for r in cypher(driver, f"MATCH (m:Model) WHERE {where} RETURN m.id AS id", **params))


@pytest.mark.anyio
async def test_a_licence_is_found_by_any_case_or_alias_and_an_unknown_one_is_not_found(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    apache = ids(neo4j_driver, "m.declared_license = 'apache-2.0'")
    assert len(apache) > 100
    for spelling in ("apache-2.0", "Apache-2.0", "APACHE-2.0"):
        assert await every_id(graph, settings, f'license: "{spelling}"', first=500) == apache
    llama = ids(neo4j_driver, "m.declared_license = 'llama3.1'")
    assert llama and await every_id(graph, settings, 'license: "LLAMA3.1"') == llama
    # the same resolver answers license(id:) and propagation(license:)
    data = await ok(graph, settings, """{ a: license(id: "Apache-2.0") { id } b: license(id: "LLAMA3.1") { id }
        p: propagation(license: "Apache-2.0") { scope } }""")
    assert data == {"a": {"id": "apache-2.0"}, "b": {"id": "llama3.1"}, "p": {"scope": "license:apache-2.0"}}
    unknown = await run_graphql(graph, '{ models(license: "no-such-licence") { totalCount } }', settings=settings)
    [error] = unknown.errors
    assert error.extensions == {"code": "NOT_FOUND", "argument": "license", "id": "no-such-licence"}
    lookups = await ok(graph, settings, '{ license(id: "no-such-licence") { id } propagation(license: "no-such-licence") { scope } }')
    assert lookups == {"license": None, "propagation": None}  # a lookup answers null, a filter an error


@pytest.mark.anyio
async def test_author_is_the_namespace_in_any_case(graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver) -> None:
    expected = ids(neo4j_driver, "m.id STARTS WITH 'mistralai/'")
    assert expected
    for spelling in ("mistralai", "MistralAI", "MISTRALAI"):
        assert await every_id(graph, settings, f'author: "{spelling}"') == expected
    assert await every_id(graph, settings, 'author: "mistral"') == []  # a namespace, not a prefix of one


@pytest.mark.anyio
async def test_filters_on_stored_results_match_the_graph(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    cases = {
        "severity: VIOLATION": ids(neo4j_driver, "coalesce(m.eff_violations, 0) > 0"),
        "severity: INFO": ids(neo4j_driver, "coalesce(m.eff_infos, 0) > 0"),
        'rule: "R02"': ids(neo4j_driver, "'R02' IN coalesce(m.eff_rules, [])"),
        'rule: "r15"': ids(neo4j_driver, "'R15' IN coalesce(m.eff_rules, [])"),
        "commercialStatus: NON_COMMERCIAL": ids(neo4j_driver, "m.eff_commercial_status = 'non_commercial'"),
        "commercialStatus: CONDITIONAL, severity: WARNING": ids(
            neo4j_driver, "m.eff_commercial_status = 'conditional' AND coalesce(m.eff_warnings, 0) > 0"),
    }
    for arguments, expected in cases.items():
        assert expected, f"the snapshot has models for {arguments}"
        assert await every_id(graph, settings, arguments) == expected, arguments
    # each model a rule filter returns has that rule among its conflicts
    data = await ok(graph, settings, '{ models(rule: "R02", first: 20) { edges { conflicts { ruleId } } } }')
    assert all("R02" in {c["ruleId"] for c in m["conflicts"]} for m in data["models"]["edges"])
    unknown = await run_graphql(graph, '{ models(rule: "R99") { totalCount } }', settings=settings)
    [error] = unknown.errors
    assert error.extensions["code"] == "NOT_FOUND" and error.extensions["argument"] == "rule"


@pytest.mark.anyio
async def test_licence_known_and_known_from_split_every_model(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    known = await every_id(graph, settings, "licenseKnown: true", first=500)
    unknown = await every_id(graph, settings, "licenseKnown: false", first=500)
    everything = ids(neo4j_driver, "true")
    assert sorted(known + unknown) == everything and known and unknown
    assert known == ids(neo4j_driver, "m.declared_license IS NOT NULL AND m.declared_license <> 'unknown' "
                                      "AND coalesce(m.license_recorded, true)")
    data = await ok(graph, settings, '{ models(licenseKnown: false, first: 500) { edges { declaredLicenseId } } }')
    assert {m["declaredLicenseId"] for m in data["models"]["edges"]} <= {None, "unknown"}
    crawled = await every_id(graph, settings, "knownFrom: CRAWLED", first=500)
    assert crawled == ids(neo4j_driver, "m.crawled_at IS NOT NULL") and crawled
    assert await every_id(graph, settings, "knownFrom: LISTED") == ids(
        neo4j_driver, "m.crawled_at IS NULL AND m.listed_at IS NOT NULL")


SORTS = {
    "DOWNLOADS": "m.downloads",
    "LIKES": "m.likes",
    "CREATED": "m.created_at.epochMillis",
    "LAST_MODIFIED": "m.last_modified.epochMillis",
    "DESCENDANT_COUNT": "COUNT { (m)<-[:HAS_ANCESTOR]-(x) WHERE NOT x.id STARTS WITH 'lineage-fixtures/' }",
}


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.anyio
async def test_each_order_pages_through_the_models_in_order_with_unknown_values_last(
    sort: str, graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    rows = cypher(neo4j_driver, f"MATCH (m:Model) RETURN m.id AS id, {SORTS[sort]} AS v")
    assert sum(r["v"] is not None for r in rows) > 10, "the snapshot has values to order by"
    known = [r for r in rows if r["v"] is not None]
    missing = sorted(r["id"] for r in rows if r["v"] is None)
    descending = [r["id"] for r in sorted(known, key=lambda r: (-r["v"], r["id"]))] + missing
    ascending = [r["id"] for r in sorted(known, key=lambda r: (r["v"], r["id"]))] + missing
    assert await every_id(graph, settings, f"sort: {sort}", first=157) == descending
    assert await every_id(graph, settings, f"sort: {sort}, descending: false", first=157) == ascending


@pytest.mark.anyio
async def test_a_cursor_belongs_to_its_order_and_descendant_counts_match_the_index(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    page = (await ok(graph, settings, """{ models(sort: DOWNLOADS, first: 5) { edges { id downloads descendantCount }
        pageInfo { endCursor } } }"""))["models"]
    for m in page["edges"]:
        [row] = cypher(neo4j_driver, f"MATCH (m:Model {{id: $id}}) RETURN m.downloads AS d, {SORTS['DESCENDANT_COUNT']} AS n",
                       id=m["id"])
        assert (m["downloads"], m["descendantCount"]) == (row["d"], row["n"])
    wrong = await run_graphql(graph, 'query($a: String) { models(sort: LIKES, after: $a) { totalCount } }',
                              {"a": page["pageInfo"]["endCursor"]}, settings=settings)
    [error] = wrong.errors
    assert error.extensions["code"] == "BAD_USER_INPUT" and "another order" in error.message
