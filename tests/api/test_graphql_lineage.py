"""Lineage over GraphQL on the bundled real snapshot: real families, paging, aliases, files, history, asOf."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from neo4j import Driver

from api.settings import ApiSettings
from crawler.observations import FileSeen, Source
from graph.client import GraphClient
from graph.writer import GraphWriter
from tests.support.graphql import run_graphql

pytestmark = pytest.mark.integration

ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"
MISTRAL = "mistralai/Mistral-7B-v0.1"
LLAMA = "meta-llama/Llama-3.1-8B"
LLAMA_INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"


async def ok(graph: GraphClient, settings: ApiSettings, query: str, **variables: Any) -> Any:
    result = await run_graphql(graph, query, variables, settings=settings)
    assert result.errors is None, result.errors
    return result.data


def cypher(driver: Driver, statement: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(statement, params)
    return [dict(r) for r in records]


@pytest.mark.anyio
async def test_zephyr_descends_from_mistral_with_evidence(graph: GraphClient, settings: ApiSettings) -> None:
    data = await ok(graph, settings, """
      query($id: ID!) { model(id: $id) {
        id author declaredLicenseId status
        ancestors { models { depth model { id declaredLicenseId } } paths roots truncated }
        parents { totalCount edges { relation confidence parent { id } child { id } evidence { kind sourceUrl confidence } } }
      } }""", id=ZEPHYR)
    model = data["model"]
    assert model["id"] == ZEPHYR and model["author"] == "HuggingFaceH4" and model["declaredLicenseId"] == "mit"
    ancestry = model["ancestors"]
    assert ancestry["paths"] == [[ZEPHYR, MISTRAL]]
    assert ancestry["roots"] == [MISTRAL]
    assert ancestry["models"] == [{"depth": 1, "model": {"id": MISTRAL, "declaredLicenseId": "apache-2.0"}}]
    parents = model["parents"]
    assert parents["totalCount"] == 1
    edge = parents["edges"][0]
    assert edge["relation"] == "FINETUNE" and edge["parent"]["id"] == MISTRAL and edge["child"]["id"] == ZEPHYR
    assert edge["evidence"], "every derivation keeps its evidence"
    assert all(e["sourceUrl"] for e in edge["evidence"])


@pytest.mark.anyio
async def test_llama_instruct_descends_from_llama_and_old_ids_resolve(graph: GraphClient, settings: ApiSettings) -> None:
    data = await ok(graph, settings, """
      { instruct: model(id: "meta-llama/Llama-3.1-8B-Instruct") { ancestors { paths } }
        renamed: model(id: "meta-llama/Meta-Llama-3.1-8B") { id aliases }
        nothing: model(id: "no-such-org/no-such-model") { id } }""")
    assert [LLAMA_INSTRUCT, LLAMA] in data["instruct"]["ancestors"]["paths"]
    assert data["renamed"]["id"] == LLAMA
    assert "meta-llama/Meta-Llama-3.1-8B" in data["renamed"]["aliases"]
    assert data["nothing"] is None


@pytest.mark.anyio
async def test_children_with_relation_filter_match_the_graph(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    expected = cypher(neo4j_driver, """
        MATCH (c:Model)-[r:DERIVED_FROM]->(:Model {id: $id}) WHERE r.valid_to IS NULL
        RETURN c.id AS id, r.relation AS relation ORDER BY id""", id=LLAMA)
    data = await ok(graph, settings, """
      query($id: ID!) { model(id: $id) {
        all: children(first: 500) { totalCount edges { relation child { id } } }
        quantized: children(relation: QUANTIZED) { totalCount edges { child { id } } } } }""", id=LLAMA)
    everything = data["model"]["all"]
    assert everything["totalCount"] == len(expected) > 3
    assert [(e["child"]["id"], e["relation"].lower()) for e in everything["edges"]] == [
        (row["id"], row["relation"]) for row in expected
    ]
    quantized = data["model"]["quantized"]
    assert quantized["totalCount"] == sum(1 for row in expected if row["relation"] == "quantized")
    assert {e["child"]["id"] for e in quantized["edges"]} == {r["id"] for r in expected if r["relation"] == "quantized"}


async def _all_pages(graph: GraphClient, settings: ApiSettings, query: str, path: list[str], **variables: Any) -> tuple[list[Any], int]:
    seen: list[Any] = []
    after = None
    total = -1
    for _ in range(1000):
        data = await ok(graph, settings, query, after=after, **variables)
        for key in path:
            data = data[key]
        total = data["totalCount"]
        seen.extend(data["edges"])
        if not data["pageInfo"]["hasNextPage"]:
            return seen, total
        after = data["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.anyio
async def test_descendant_pages_round_trip_to_the_full_set(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    root = cypher(neo4j_driver, """
        MATCH (m:Model)<-[:HAS_ANCESTOR]-() WITH m, count(*) AS n ORDER BY n DESC, m.id LIMIT 1
        RETURN m.id AS id, n""")[0]
    expected = {r["id"] for r in cypher(neo4j_driver, "MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {id: $id}) RETURN x.id AS id", id=root["id"])}
    query = """query($id: ID!, $after: String) { model(id: $id) {
        descendants(first: 7, after: $after, maxDepth: 32) { totalCount edges { depth relation model { id } } pageInfo { hasNextPage endCursor } } } }"""
    edges, total = await _all_pages(graph, settings, query, ["model", "descendants"], id=root["id"])
    ids = [e["model"]["id"] for e in edges]
    assert len(ids) == len(set(ids)), "no model appears on two pages"
    assert set(ids) == expected and total == len(expected) == root["n"]
    depths = [e["depth"] for e in edges]
    assert depths == sorted(depths), "nearest first"


@pytest.mark.anyio
async def test_search_pages_round_trip_and_match_a_plain_filter(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    everything = [r["id"] for r in cypher(neo4j_driver, "MATCH (m:Model) RETURN m.id AS id")]
    expected = sorted(i for i in everything if "llama-3" in i.lower())
    query = """query($after: String) { models(search: "LLAMA-3", first: 9, after: $after) {
        totalCount edges { id } pageInfo { hasNextPage endCursor } } }"""
    edges, total = await _all_pages(graph, settings, query, ["models"])
    assert [e["id"] for e in edges] == expected
    assert total == len(expected) > 9


@pytest.mark.anyio
async def test_filters_by_licence_author_and_relation(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    data = await ok(graph, settings, """{
        byLicense: models(license: "llama3.1", first: 500) { totalCount edges { id declaredLicenseId } }
        byAuthor: models(author: "mistralai", first: 500) { totalCount edges { author } }
        quantized: models(relation: QUANTIZED, first: 500) { totalCount edges { id } } }""")
    declared = cypher(neo4j_driver, "MATCH (m:Model {declared_license: 'llama3.1'}) RETURN count(m) AS n")[0]["n"]
    assert data["byLicense"]["totalCount"] == declared > 0
    assert {e["declaredLicenseId"] for e in data["byLicense"]["edges"]} == {"llama3.1"}
    assert {e["author"] for e in data["byAuthor"]["edges"]} == {"mistralai"}
    quantized = cypher(neo4j_driver, """MATCH (m:Model) WHERE EXISTS {
        (m)-[r:DERIVED_FROM]->() WHERE r.valid_to IS NULL AND r.relation = 'quantized' } RETURN count(m) AS n""")[0]["n"]
    assert data["quantized"]["totalCount"] == quantized > 0


@pytest.mark.anyio
async def test_roots_are_parentless_ordered_by_family_size_and_page_to_the_full_set(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    data = await ok(graph, settings, "{ roots(first: 10) { totalCount edges { descendantCount model { id descendantCount } } } }")
    roots = data["roots"]["edges"]
    assert len(roots) == 10
    counts = [r["descendantCount"] for r in roots]
    assert counts == sorted(counts, reverse=True) and counts[0] > 10
    for r in roots:
        row = cypher(neo4j_driver, """MATCH (m:Model {id: $id})
            RETURN EXISTS { (m)-[d:DERIVED_FROM]->() WHERE d.valid_to IS NULL } AS has_parent,
                   COUNT { (m)<-[:HAS_ANCESTOR]-(x) WHERE NOT x.id STARTS WITH 'lineage-fixtures/' } AS n""",
                  id=r["model"]["id"])[0]
        assert not row["has_parent"] and row["n"] == r["descendantCount"] == r["model"]["descendantCount"]
    expected = cypher(neo4j_driver, """MATCH (m:Model) WHERE NOT EXISTS { (m)-[d:DERIVED_FROM]->() WHERE d.valid_to IS NULL }
        RETURN m.id AS id, COUNT { (m)<-[:HAS_ANCESTOR]-(x) WHERE NOT x.id STARTS WITH 'lineage-fixtures/' } AS n
        ORDER BY n DESC, id""")
    query = """query($after: String) { roots(first: 250, after: $after) {
        totalCount edges { descendantCount model { id } } pageInfo { hasNextPage endCursor } } }"""
    edges, total = await _all_pages(graph, settings, query, ["roots"])
    assert [(e["model"]["id"], e["descendantCount"]) for e in edges] == [(r["id"], r["n"]) for r in expected]
    assert total == len(expected) > 250


@pytest.mark.anyio
async def test_path_between_two_models_and_a_model_by_file(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    hops = "relatedness paths { modelIds hops { from to direction relation derivation { child { id } parent { id } evidence { sourceUrl } } } }"
    data = await ok(graph, settings, """{ up: path(from: "HuggingFaceH4/zephyr-7b-beta", to: "mistralai/Mistral-7B-v0.1") { %s }
        down: path(from: "mistralai/Mistral-7B-v0.1", to: "HuggingFaceH4/zephyr-7b-beta") { %s }
        same: path(from: "mistralai/Mistral-7B-v0.1", to: "mistralai/Mistral-7B-v0.1") { %s } }""" % (hops, hops, hops))
    up, down = data["up"]["paths"], data["down"]["paths"]
    assert data["up"]["relatedness"] == "FROM_DESCENDS_FROM_TO" and data["down"]["relatedness"] == "TO_DESCENDS_FROM_FROM"
    assert [p["modelIds"] for p in up] == [[ZEPHYR, MISTRAL]] and [p["modelIds"] for p in down] == [[MISTRAL, ZEPHYR]]
    [up_hop], [down_hop] = up[0]["hops"], down[0]["hops"]
    assert (up_hop["from"], up_hop["to"], up_hop["direction"]) == (ZEPHYR, MISTRAL, "UP")
    assert (down_hop["from"], down_hop["to"], down_hop["direction"]) == (MISTRAL, ZEPHYR, "DOWN")
    for hop in (up_hop, down_hop):  # the one edge, with its relation and evidence, whichever way it is walked
        assert hop["relation"] == "FINETUNE"
        assert hop["derivation"]["child"]["id"] == ZEPHYR and hop["derivation"]["parent"]["id"] == MISTRAL
        assert hop["derivation"]["evidence"] and all(e["sourceUrl"] for e in hop["derivation"]["evidence"])
    assert data["same"] == {"relatedness": "SAME_MODEL", "paths": [{"modelIds": [MISTRAL], "hops": []}]}
    for args, argument in ((f'from: "{ZEPHYR}", to: "no-such/model"', "to"), (f'from: "no-such/model", to: "{ZEPHYR}"', "from")):
        unknown = await run_graphql(graph, "{ path(%s) { relatedness } }" % args, settings=settings)
        [error] = unknown.errors
        assert error.extensions == {"code": "NOT_FOUND", "argument": argument, "id": "no-such/model"}
        assert "no-such/model" in error.message
    # the bundled snapshot records no LFS hashes: a weight file of zephyr is observed here
    sha = hashlib.sha256(b"zephyr-7b-beta weights").hexdigest()
    seen = FileSeen(ZEPHYR, "model-00001-of-00008.safetensors", 1_889_587_040, sha,
                    Source(f"https://huggingface.co/api/models/{ZEPHYR}", "f" * 40, datetime.now(UTC)))
    GraphWriter(neo4j_driver).write([seen], run_id="api-test-file")
    try:
        found = await ok(graph, settings, """query($s: String!) { one: modelByFileSha256(sha256: $s) { id }
            all: modelsByFileSha256(sha256: $s) { id } }""", s=sha.upper())
        assert found["one"]["id"] == ZEPHYR and [m["id"] for m in found["all"]] == [ZEPHYR]
        missing = await ok(graph, settings, 'query { modelByFileSha256(sha256: "%s") { id } }' % ("0" * 64))
        assert missing["modelByFileSha256"] is None
        bad = await run_graphql(graph, '{ modelByFileSha256(sha256: "not-a-hash") { id } }', settings=settings)
        assert bad.errors and "sha256 must be 64 hexadecimal characters" in bad.errors[0].message
    finally:
        cypher(neo4j_driver, "MATCH (f:File {sha256: $s}) DETACH DELETE f", s=sha)


@pytest.mark.anyio
async def test_history_and_as_of_before_and_after_the_recorded_licence_change(
    graph: GraphClient, settings: ApiSettings
) -> None:
    data = await ok(graph, settings, """query($id: ID!, $base: ID!) {
        now: model(id: $id) { declaredLicenseId history { at field oldValue newValue evidence { revision } } }
        before: model(id: $id, asOf: "2024-09-01T23:59:59+00:00") { declaredLicenseId conflictState
            conflicts { ruleId severity path } ancestors { paths } }
        after: model(id: $id, asOf: "2024-11-01T23:59:59+00:00") { declaredLicenseId conflictState conflicts { ruleId severity } }
        base: model(id: $base, asOf: "2024-09-01T23:59:59+00:00") { id declaredLicenseId } }""", id=RELICENSED, base=LLAMA)
    changes = [e for e in data["now"]["history"] if e["field"] == "license"]
    assert [(e["oldValue"], e["newValue"]) for e in changes] == [(None, "apache-2.0"), ("apache-2.0", "llama3.1")]
    assert changes[1]["at"].startswith("2024-10-15T09:30:00")
    assert changes[1]["evidence"]["revision"] == "52e8e8b3de90567761caf3be701ad9ffbbf3e0e7"
    before, after = data["before"], data["after"]
    assert before["declaredLicenseId"] == "apache-2.0" and after["declaredLicenseId"] == "llama3.1"
    assert data["now"]["declaredLicenseId"] == "llama3.1"
    # The dates are valid time, from the fixture's commit history (crawler.history). Its base existed then
    # (createdAt 2024-07-14), but the snapshot records no commit history and no lastModified for
    # meta-llama/Llama-3.1-8B, so the base's licence is dated only from when it was observed: at
    # 2024-09-01 it is unknown, and the apache-2.0-on-Llama violation cannot be established for that instant.
    assert data["base"] == {"id": LLAMA, "declaredLicenseId": None}
    # after the relicensing the fine-tune declares the base's own licence: no violation
    assert after["conflictState"] != "VIOLATION"
    assert not [c for c in after["conflicts"] if c["severity"] == "VIOLATION"]
    assert before["ancestors"]["paths"] == [[RELICENSED, LLAMA]]
    # before its first recorded revision (2024-08-01) nothing of it is known: an error saying so, not a null
    unborn = await run_graphql(graph, 'query($id: ID!) { model(id: $id, asOf: "2024-07-01T00:00:00+00:00") { id } }',
                               {"id": RELICENSED}, settings=settings)
    assert unborn.data == {"model": None}
    [error] = unborn.errors
    assert error.extensions["code"] == "NOT_KNOWN_AT_INSTANT"
    assert error.extensions["knownSince"].startswith("2024-08-01")
    assert error.extensions["asOf"] == "2024-07-01T00:00:00+00:00" and error.extensions["modelId"] == RELICENSED
    assert error.message == f"{RELICENSED} is not known before {error.extensions['knownSince']} (asOf 2024-07-01T00:00:00+00:00)"


KNOWN_SINCE = """query($id: ID!, $asOf: DateTime) { model(id: $id, asOf: $asOf) {
    id knownSince declaredLicenseId evidence { firstSeen } history { at } } }"""


@pytest.mark.anyio
async def test_as_of_before_known_since_is_an_error_and_after_it_an_answer(graph: GraphClient, settings: ApiSettings) -> None:
    now = (await ok(graph, settings, KNOWN_SINCE, id=ZEPHYR))["model"]
    known_since = datetime.fromisoformat(now["knownSince"])
    # the earliest thing known of it: no later than its first observation or any recorded change
    assert known_since <= datetime.fromisoformat(now["evidence"]["firstSeen"])
    assert all(known_since <= datetime.fromisoformat(e["at"]) for e in now["history"])

    before = (known_since - timedelta(days=1)).isoformat()
    refused = await run_graphql(graph, KNOWN_SINCE, {"id": ZEPHYR, "asOf": before}, settings=settings)
    assert refused.data == {"model": None}
    [error] = refused.errors
    assert error.extensions == {"code": "NOT_KNOWN_AT_INSTANT", "knownSince": known_since.isoformat(),
                                "asOf": before, "modelId": ZEPHYR}
    assert error.message == f"{ZEPHYR} is not known before {known_since.isoformat()} (asOf {before})"

    at = (await ok(graph, settings, KNOWN_SINCE, id=ZEPHYR, asOf=known_since.isoformat()))["model"]
    assert at["id"] == ZEPHYR and datetime.fromisoformat(at["knownSince"]) == known_since
    # a model the graph does not hold stays null, whatever the instant
    nothing = await run_graphql(graph, KNOWN_SINCE, {"id": "no-such-org/no-such-model", "asOf": before}, settings=settings)
    assert nothing.errors is None and nothing.data == {"model": None}


@pytest.mark.anyio
async def test_as_of_in_the_future_or_unparsable_is_a_clear_error(graph: GraphClient, settings: ApiSettings) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    propagation = 'query($asOf: DateTime) { propagation(root: "%s", asOf: $asOf) { scope } }' % LLAMA
    for query, variables in ((KNOWN_SINCE, {"id": ZEPHYR, "asOf": future}), (propagation, {"asOf": future})):
        result = await run_graphql(graph, query, variables, settings=settings)
        [error] = result.errors
        assert error.extensions["code"] == "BAD_USER_INPUT" and error.extensions["argument"] == "asOf"
        assert "in the future" in error.message
    for garbled in (
        await run_graphql(graph, KNOWN_SINCE, {"id": ZEPHYR, "asOf": "yesterday"}, settings=settings),
        await run_graphql(graph, '{ model(id: "%s", asOf: "yesterday") { id } }' % ZEPHYR, settings=settings),
        await run_graphql(graph, '{ path(from: "%s", to: "%s", asOf: "yesterday") { relatedness } }' % (ZEPHYR, MISTRAL),
                          settings=settings),
    ):
        [error] = garbled.errors
        assert "'yesterday' is not an ISO 8601 instant or date (e.g. 2024-09-01T00:00:00Z or 2024-09-01)" in error.message
        assert error.extensions["code"] == "BAD_USER_INPUT"
    date_only = await ok(graph, settings, KNOWN_SINCE, id=ZEPHYR, asOf="2025-06-01")
    assert date_only["model"]["id"] == ZEPHYR


@pytest.mark.anyio
async def test_lists_use_a_bounded_number_of_graph_reads(
    graph: GraphClient, settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DataLoaders: the graph reads of a page do not grow with the number of rows."""
    calls: list[str] = []
    original = graph.reader.run

    async def counting(plan: Any) -> Any:
        calls.append(getattr(plan, "__name__", "plan"))
        return await original(plan)

    monkeypatch.setattr(graph.reader, "run", counting)
    query = """query($first: Int!) { models(search: "llama", first: $first) { edges {
        id conflictState parents { totalCount edges { parent { id declaredLicenseId } } }
        children(first: 3) { totalCount } deployments { id } history { field } commercialStatus { status } } } }"""
    counts = []
    for first in (3, 30, 90):
        calls.clear()
        data = await ok(graph, settings, query, first=first)
        assert len(data["models"]["edges"]) == first
        counts.append(len(calls))
    # one read per kind of data asked (page, conflicts, parents, their facts, children, deployments,
    # history), whatever the number of rows
    assert max(counts) <= 7 and counts[1] == counts[2], counts


@pytest.mark.anyio
async def test_has_conflict_splits_the_models_and_info_findings_are_not_conflicts(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    data = await ok(graph, settings, """{
        yes: models(hasConflict: true, first: 500) { totalCount edges { conflictState } }
        no: models(hasConflict: false, first: 500) { totalCount edges { id conflictState } }
        all: models(first: 1) { totalCount } }""")
    assert data["yes"]["totalCount"] + data["no"]["totalCount"] == data["all"]["totalCount"]
    assert data["yes"]["totalCount"] > 0 and data["no"]["totalCount"] > 0
    assert {e["conflictState"] for e in data["yes"]["edges"]} <= {"WARNING", "VIOLATION"}
    assert {e["conflictState"] for e in data["no"]["edges"]} <= {"NONE", "INFO"}
    # zephyr has only an info finding (R15): it has no conflict
    zephyr = (await ok(graph, settings, '{ model(id: "%s") { conflictState conflicts { severity } } }' % ZEPHYR))["model"]
    assert zephyr["conflictState"] == "INFO" and {c["severity"] for c in zephyr["conflicts"]} == {"INFO"}
    assert ZEPHYR not in await _ids(graph, settings, "hasConflict: true")


async def _ids(graph: GraphClient, settings: ApiSettings, arguments: str) -> list[str]:
    query = "query($after: String) { models(%s, first: 500, after: $after) { totalCount edges { id } pageInfo { hasNextPage endCursor } } }"
    edges, total = await _all_pages(graph, settings, query % arguments, ["models"])
    assert total == len(edges)
    return [e["id"] for e in edges]
