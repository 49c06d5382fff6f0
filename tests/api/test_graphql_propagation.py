"""Propagation over GraphQL on the bundled real snapshot: per-model results equal to the engine's,
scope aggregates consistent with the graph, the dashboard's exact queries, the licence knowledge base."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from neo4j import Driver

from api.settings import ApiSettings
from graph.client import GraphClient
from terms.licenses import default_catalog
from terms.propagation import PropagationEngine, PropagationResult
from graph.results.engine_input import load_lineage_view
from tests.support.graphql import DASHBOARD, run_graphql

pytestmark = pytest.mark.integration

LLAMA = "meta-llama/Llama-3.1-8B"
RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
# real licence drift from the snapshot: mit on apache (allowed), apache on Llama 3.1 (not), an NC merge,
# a relabelled quantization, a Gemma fine-tune declaring "other"
CASES = (
    "HuggingFaceH4/zephyr-7b-beta",
    "fluently-lm/Llama-TI-8B",
    "Q-bert/MetaMath-Cybertron-Starling",
    "TheBloke/Nous-Hermes-Llama-2-7B-GGML",
    "anakin87/gemma-2b-orpo",
    "NousResearch/Hermes-3-Llama-3.1-8B",
    RELICENSED,
)

MODEL_DETAIL = """query($id: ID!, $asOf: DateTime) { model(id: $id, asOf: $asOf) {
    conflictState propagationSource
    effectiveTerms { termId kind licenseId fromModel path scope }
    conflicts { ruleId severity message path licenses steps { modelId licenseId } }
    commercialStatus { status licenseId mauThreshold missing path }
    euAiAct { openSourceExemption systemicRisk systemicRiskBasis modifierBecomesProvider missing }
    responsibilityChain { modelId depth party role licenses deploymentId obligations } } }"""


async def ok(graph: GraphClient, settings: ApiSettings, query: str, **variables: Any) -> Any:
    result = await run_graphql(graph, query, variables, settings=settings)
    assert result.errors is None, result.errors
    return result.data


def engine_results(driver: Driver, ids: list[str], as_of: Any = None) -> tuple[Any, dict[str, PropagationResult]]:
    """The engine run directly (sync driver, no API) over the lineage read from the graph."""
    loaded = load_lineage_view(driver, ids, as_of=as_of)
    present = [i for i in ids if i in loaded.view.nodes]
    run_ = PropagationEngine(default_catalog()).run(loaded.view)
    return run_, run_.results(present)


def _severity(value: str) -> str:
    return value.upper()


@pytest.mark.anyio
@pytest.mark.parametrize("model_id", CASES)
async def test_terms_conflicts_and_chain_equal_the_engine(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver, model_id: str
) -> None:
    run_, results = engine_results(neo4j_driver, [model_id])
    expected = results[model_id]
    model = (await ok(graph, settings, MODEL_DETAIL, id=model_id))["model"]
    assert [(t["termId"], t["kind"], t["licenseId"], t["path"]) for t in model["effectiveTerms"]] == [
        (t.term_id, t.kind, t.license_id, [s.model_id for s in t.path]) for t in expected.terms
    ]
    assert [(c["ruleId"], c["severity"], c["message"], c["path"]) for c in model["conflicts"]] == [
        (c.rule, _severity(c.severity.value), c.message, [s.model_id for s in c.path]) for c in expected.conflicts
    ]
    assert model["commercialStatus"]["status"] == expected.commercial.status.value.upper()
    assert model["commercialStatus"]["licenseId"] == expected.commercial.governing_license
    assert model["euAiAct"]["openSourceExemption"] == expected.eu_ai_act.oss_exemption.value
    assert model["euAiAct"]["missing"] == list(expected.eu_ai_act.missing)
    assert (model["euAiAct"]["systemicRisk"], model["euAiAct"]["systemicRiskBasis"]) == (
        expected.eu_ai_act.systemic_risk.value, expected.eu_ai_act.systemic_risk_basis)
    chain = run_.responsibility_chain(model_id)
    assert [(s["modelId"], s["role"], s["deploymentId"]) for s in model["responsibilityChain"]] == [
        (s.model_id, s.role.name, s.deployment_id) for s in chain
    ]
    worst = {c.severity.value for c in expected.conflicts}
    state = next((s for s in ("violation", "warning", "info") if s in worst), "none")
    assert model["conflictState"] == state.upper()
    assert model["propagationSource"] == "materialised", "current results are read from the store"


@pytest.mark.anyio
async def test_known_outcomes_on_real_models(graph: GraphClient, settings: ApiSettings) -> None:
    """mit on an apache-2.0 base is allowed (notices kept); apache-2.0 on a Llama 3.1 base is not."""
    zephyr = (await ok(graph, settings, MODEL_DETAIL, id="HuggingFaceH4/zephyr-7b-beta"))["model"]
    assert not [c for c in zephyr["conflicts"] if c["severity"] == "VIOLATION"]
    assert {t["licenseId"] for t in zephyr["effectiveTerms"]} == {"mit", "apache-2.0"}
    llama_ti = (await ok(graph, settings, MODEL_DETAIL, id="fluently-lm/Llama-TI-8B"))["model"]
    assert llama_ti["conflictState"] == "VIOLATION"
    assert any(c["path"][-1] == LLAMA and "llama3.1" in c["licenses"] for c in llama_ti["conflicts"])
    assert llama_ti["commercialStatus"]["mauThreshold"] == 700_000_000


@pytest.mark.anyio
async def test_systemic_risk_from_the_listed_parameter_count(graph: GraphClient, settings: ApiSettings) -> None:
    """7.2e9 parameters (safetensors total): not presumed, with the assumption; 1.4e11: cannot be excluded."""
    small = (await ok(graph, settings, MODEL_DETAIL, id="HuggingFaceH4/zephyr-7b-beta"))["model"]["euAiAct"]
    assert small["systemicRisk"] == "no"
    assert small["systemicRiskBasis"].startswith(
        "7.24e9 parameters (safetensors total): C ≈ 6·N·D with D ≤ 1e14 tokens gives at most 4.3e24 FLOP, below 1e25")
    large = (await ok(graph, settings, MODEL_DETAIL, id="HuggingFaceH4/zephyr-orpo-141b-A35b-v0.1"))["model"]["euAiAct"]
    assert large["systemicRisk"] == "unknown"
    assert large["systemicRiskBasis"].startswith("1.41e11 parameters (safetensors total): 1e25 FLOP cannot be excluded")
    assert any(m.startswith("training compute of ") for m in large["missing"])


@pytest.mark.anyio
async def test_as_of_results_equal_the_engine_on_the_graph_as_it_was(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    from datetime import UTC, datetime

    at = datetime(2024, 9, 1, 23, 59, 59, tzinfo=UTC)
    _, results = engine_results(neo4j_driver, [RELICENSED], as_of=at)
    model = (await ok(graph, settings, MODEL_DETAIL, id=RELICENSED, asOf=at.isoformat()))["model"]
    assert model["propagationSource"] == "computed"
    assert [c["ruleId"] for c in model["conflicts"]] == [c.rule for c in results[RELICENSED].conflicts]
    assert results[RELICENSED].declared == ("apache-2.0",)


PROPAGATION = DASHBOARD["propagation"]
RULE_TALLIES = "query ($root: ID) { propagation(root: $root) { conflictsByRule { ruleId severity conflicts models } } }"


@pytest.mark.anyio
async def test_root_propagation_is_consistent_with_the_graph_and_the_engine(
    graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver
) -> None:
    data = (await ok(graph, settings, PROPAGATION, root=LLAMA, limit=5))["propagation"]
    records, _, _ = neo4j_driver.execute_query(  # fixture models count in no statistic (tests/api/test_graphql_fixtures.py)
        "MATCH (x:Model)-[:HAS_ANCESTOR]->(:Model {id: $id}) WHERE NOT x.id STARTS WITH 'lineage-fixtures/' RETURN x.id AS id",
        {"id": LLAMA},
    )
    members = [LLAMA, *sorted(str(r["id"]) for r in records)]
    assert data["scope"] == f"root:{LLAMA}"
    assert data["totalModels"] == len(members) > 5
    assert sum(d["count"] for d in data["byDepth"]) == len(members)
    assert data["byDepth"][0] == {"depth": 0, "count": 1}
    assert sum(r["count"] for r in data["byRelation"]) == len(members) - 1
    _, results = engine_results(neo4j_driver, members)
    counted = Counter((c.rule, c.severity.value.upper()) for r in results.values() for c in r.conflicts)
    assert {(r["ruleId"], r["severity"]): r["conflicts"] for r in data["conflictsByRule"]} == dict(counted)
    rules = (await ok(graph, settings, RULE_TALLIES, root=LLAMA))["propagation"]["conflictsByRule"]
    with_rule = Counter(pair for r in results.values() for pair in {(c.rule, c.severity.value.upper()) for c in r.conflicts})
    assert {(r["ruleId"], r["severity"]): (r["conflicts"], r["models"]) for r in rules} == {
        pair: (n, with_rule[pair]) for pair, n in counted.items()
    }
    reached = Counter(t for m, r in results.items() if m != LLAMA for t in r.term_ids)
    assert {f["termId"]: f["keep"] + f["drop"] + f["violate"] for f in data["termFlow"]} == dict(reached)
    violators = {m for m, r in results.items() if any(c.severity.value == "violation" for c in r.conflicts)}
    assert max(f["violate"] for f in data["termFlow"]) <= len(violators)
    for point in data["topRelicensingPoints"]:
        assert point["droppedTerms"] and point["downstreamCount"] >= 1
        edge, _, _ = neo4j_driver.execute_query(
            "MATCH (:Model {id: $c})-[r:DERIVED_FROM]->(:Model {id: $p}) WHERE r.valid_to IS NULL RETURN count(r) AS n",
            {"c": point["child"]["id"], "p": point["parent"]["id"]},
        )
        assert edge[0]["n"] == 1
        assert point["toLicense"] != point["fromLicense"]
    drawn = data["graph"]
    assert drawn["truncated"] and len(drawn["nodes"]) == 5 and drawn["nodes"][0]["id"] == LLAMA
    depths = [n["depth"] for n in drawn["nodes"]]
    assert depths == sorted(depths)
    kept = {n["id"] for n in drawn["nodes"]}
    assert all(e["child"] in kept and e["parent"] in kept for e in drawn["edges"])


@pytest.mark.anyio
async def test_root_propagation_as_of_before_the_relicensing(graph: GraphClient, settings: ApiSettings) -> None:
    # the relicensed model is a constructed fixture: counted only when asked for
    counting = PROPAGATION.replace("$limit: Int)", "$limit: Int, $include: Boolean!)").replace(
        "asOf: $asOf)", "asOf: $asOf, includeFixtures: $include)")
    assert "includeFixtures: $include" in counting and "$include: Boolean!" in counting
    at = "2024-09-01T23:59:59+00:00"
    before = (await ok(graph, settings, counting, root=LLAMA, asOf=at, limit=300, include=True))["propagation"]
    after = (await ok(graph, settings, counting, root=LLAMA, limit=300, include=True))["propagation"]
    # the graph knew only the relicensed fine-tune then (its base edge dated by its commit history): one
    # descendant. The Llama root existed (createdAt 2024-07-14), but the snapshot records no commit history
    # and no lastModified for it, so its licence then is unknown in valid time (dated only from when it was
    # observed): no Llama term can be shown flowing, or violated, at that instant.
    assert before["totalModels"] == 2
    assert [n["id"] for n in before["graph"]["nodes"]] == [LLAMA, RELICENSED]
    assert next(n for n in before["graph"]["nodes"] if n["id"] == LLAMA)["licenseId"] is None
    assert next(n for n in before["graph"]["nodes"] if n["id"] == RELICENSED)["licenseId"] == "apache-2.0"
    relicensed_now = next(n for n in after["graph"]["nodes"] if n["id"] == RELICENSED)
    assert relicensed_now["licenseId"] == "llama3.1" and relicensed_now["conflictState"] != "VIOLATION"
    assert after["totalModels"] > before["totalModels"]


@pytest.mark.anyio
async def test_an_early_as_of_says_how_many_models_are_not_known_then(graph: GraphClient, settings: ApiSettings) -> None:
    """At 2024-09-01 the family answer covers two models: the coverage says how many more are not known then,
    so "2 models … no conflicts elsewhere" cannot pass for the whole family."""
    at = "2024-09-01T23:59:59+00:00"
    before = (await ok(graph, settings, PROPAGATION, root=LLAMA, asOf=at, limit=300))["propagation"]
    now = (await ok(graph, settings, PROPAGATION, root=LLAMA, limit=5000))["propagation"]
    coverage = before["asOfCoverage"]
    assert coverage["asOf"] == at
    members_now = [n["id"] for n in now["graph"]["nodes"]]
    assert coverage["known"] + coverage["notYetKnown"] == len(set(members_now) | {n["id"] for n in before["graph"]["nodes"]})
    # each model's own knownSince says the same: those after the instant are the ones not yet known
    since = {key: k.since for key, k in (await graph.reader.known_since(members_now)).items()}
    later = [i for i in members_now if since[i] is not None and since[i] > datetime.fromisoformat(at)]
    assert coverage["notYetKnown"] == len(later) > 0
    assert coverage["known"] >= before["totalModels"]
    assert datetime.fromisoformat(coverage["earliestKnownSince"]) <= datetime.fromisoformat(at)
    assert datetime.fromisoformat(coverage["latestKnownSince"]) == max(s for s in since.values() if s is not None)
    # a licence scope at the same instant says it too
    licence = (await ok(graph, settings, PROPAGATION, license="llama3.1", asOf=at, limit=50))["propagation"]
    assert licence["asOfCoverage"]["notYetKnown"] > 0


@pytest.mark.anyio
async def test_a_root_not_known_at_as_of_is_an_error_not_a_null(graph: GraphClient, settings: ApiSettings) -> None:
    known_since = (await ok(graph, settings, "{ model(id: \"%s\") { knownSince } }" % LLAMA))["model"]["knownSince"]
    before = (datetime.fromisoformat(known_since) - timedelta(days=1)).isoformat()
    result = await run_graphql(graph, PROPAGATION, {"root": LLAMA, "asOf": before, "limit": 10}, settings=settings)
    assert result.data == {"propagation": None}
    [error] = result.errors
    assert error.extensions == {"code": "NOT_KNOWN_AT_INSTANT", "knownSince": known_since, "asOf": before, "modelId": LLAMA}


@pytest.mark.anyio
async def test_license_and_term_scopes(graph: GraphClient, settings: ApiSettings, neo4j_driver: Driver) -> None:
    licence = (await ok(graph, settings, PROPAGATION, license="llama3.1", limit=50))["propagation"]
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (m:Model {declared_license: 'llama3.1'}) WHERE NOT m.id STARTS WITH 'lineage-fixtures/' RETURN count(m) AS n")
    assert licence["scope"] == "license:llama3.1"
    assert licence["byDepth"][0] == {"depth": 0, "count": records[0]["n"]}
    catalog = default_catalog()
    assert {t.id for t in catalog.terms("llama3.1").flowing} <= {f["termId"] for f in licence["termFlow"]}
    assert all(f["keep"] + f["drop"] + f["violate"] <= licence["totalModels"] for f in licence["termFlow"])
    term = (await ok(graph, settings, PROPAGATION, term="threshold:mau:700000000", limit=50))["propagation"]
    assert term["scope"] == "term:threshold:mau:700000000"
    assert [f["termId"] for f in term["termFlow"]] == ["threshold:mau:700000000"] * len(term["termFlow"])
    assert term["totalModels"] >= licence["totalModels"]
    unknown = await ok(graph, settings, "{ a: propagation(root: \"no/such\") { scope } b: propagation(license: \"no-such-licence\") { scope } }")
    assert unknown == {"a": None, "b": None}
    both = await run_graphql(graph, '{ propagation(root: "x/y", license: "mit") { scope } }', settings=settings)
    assert both.errors and "exactly one of root, license or term" in both.errors[0].message


@pytest.mark.anyio
async def test_the_dashboards_exact_queries_answer_without_errors(graph: GraphClient, settings: ApiSettings) -> None:
    pickers = await ok(graph, settings, DASHBOARD["pickers"], first=20)
    assert len(pickers["roots"]["edges"]) == 20 < pickers["roots"]["totalCount"] and pickers["licenses"] and pickers["terms"]
    root = pickers["roots"]["edges"][0]["model"]["id"]
    for variables in (
        {"root": root, "limit": 300},
        {"root": LLAMA, "asOf": "2024-09-01T23:59:59+00:00", "limit": 300},
        {"license": pickers["licenses"][0]["id"], "limit": 300},
        {"license": "apache-2.0", "limit": 300},
        {"term": pickers["terms"][0]["id"], "limit": 300},
    ):
        data = await ok(graph, settings, PROPAGATION, **variables)
        assert data["propagation"] is not None, variables
    model = await ok(graph, settings, DASHBOARD["model"], id=RELICENSED, asOf="2024-09-01T23:59:59+00:00")
    assert model["model"]["commercialStatus"]["status"]
    search = await ok(graph, settings, DASHBOARD["search"], search="zephyr", first=20)
    assert search["models"]["totalCount"] >= len(search["models"]["edges"]) > 0


@pytest.mark.anyio
async def test_licences_and_terms_of_the_knowledge_base(graph: GraphClient, settings: ApiSettings) -> None:
    data = await ok(graph, settings, """{ licenses { id }
        llama: license(id: "llama3.1") { id family commercial mauThreshold verified sourceUrls terms { id kind licenseIds } }
        alias: license(id: "LLAMA3.1") { id }
        none: license(id: "no-such-licence") { id }
        terms { id kind licenseIds } }""")
    catalog = default_catalog()
    assert [lic["id"] for lic in data["licenses"]] == sorted(e.id for e in catalog)
    llama = data["llama"]
    assert llama["commercial"] == "CONDITIONAL" and llama["mauThreshold"] == 700_000_000 and llama["sourceUrls"]
    assert "threshold:mau:700000000" in {t["id"] for t in llama["terms"]}
    assert all("llama3.1" in t["licenseIds"] for t in llama["terms"])
    assert data["alias"] == {"id": "llama3.1"} and data["none"] is None
    assert len(data["terms"]) == len(catalog.all_terms)


@pytest.mark.anyio
async def test_materialised_and_computed_family_aggregates_agree(graph: GraphClient, settings: ApiSettings) -> None:
    """Now: read from the store; at this instant (asOf, after every write): computed by the engine on the same graph."""
    query = PROPAGATION.replace("graph(limit: $limit)", "source graph(limit: $limit)")
    now = (await ok(graph, settings, query, root=LLAMA, limit=300))["propagation"]
    at_now = datetime.now(UTC).isoformat()
    later = (await ok(graph, settings, query, root=LLAMA, asOf=at_now, limit=300))["propagation"]
    assert (now["source"], later["source"]) == ("materialised", "computed")
    for field in ("totalModels", "byDepth", "byRelation", "termFlow", "conflictsByRule", "deploymentsReached", "deploymentsReachedCount"):
        assert now[field] == later[field], field
    key = lambda p: (p["child"]["id"], p["parent"]["id"])  # noqa: E731
    assert sorted(now["topRelicensingPoints"], key=key) == sorted(later["topRelicensingPoints"], key=key)
    assert now["graph"]["nodes"] == later["graph"]["nodes"]
    assert sorted(now["graph"]["edges"], key=str) == sorted(later["graph"]["edges"], key=str)
    # every model of the family is known now
    assert now["asOfCoverage"] is None
    assert later["asOfCoverage"]["notYetKnown"] == 0 and later["asOfCoverage"]["known"] == now["totalModels"]


CHAIN_ROLES = """query($id: ID!) { model(id: $id) { unknownParts
    responsibilityChain { modelId depth party role licenses deploymentId obligations unknown } } }"""


@pytest.mark.anyio
async def test_the_chain_names_users_and_parents_not_recorded_with_the_licensor_they_point_to(
    graph: GraphClient, settings: ApiSettings
) -> None:
    catalog = default_catalog()
    instruct = (await ok(graph, settings, CHAIN_ROLES, id="meta-llama/Llama-3.1-8B-Instruct"))["model"]
    restrictions = [t.description for t in catalog.terms("llama3.1").all if t.kind.value == "restriction"]
    users = [s for s in instruct["responsibilityChain"] if s["role"] == "USER"]
    assert len(users) == 1 and users[0]["party"] is None
    assert any(all(r in o for r in restrictions) for o in users[0]["obligations"])
    derivative = (await ok(graph, settings, CHAIN_ROLES, id="Aryanne/SuperHeart"))["model"]
    steps = {s["role"]: s for s in derivative["responsibilityChain"]}
    assert "ORIGINAL_PROVIDER" not in steps
    unknown = steps["PARENT_NOT_RECORDED"]["unknown"]
    licensor = catalog.get("llama3.1").licensor
    assert unknown.startswith("parent not recorded") and licensor is not None and licensor in unknown
    assert steps["LICENSOR"]["party"] in catalog.get("llama3.1").licensor_hub_orgs
    assert f"Aryanne/SuperHeart: {unknown}" in derivative["unknownParts"]
    assert not any("parent not recorded" in p for p in instruct["unknownParts"])
