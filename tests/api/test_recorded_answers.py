"""The answers Lineage gives for the bundled snapshot, compared byte for byte with a recording.

A refactoring must not change what users read: every GraphQL answer below (each model's whole
record, lineage, terms, conflicts, responsibility chain, every family's propagation, the licence
knowledge base) and the investigation dossier and AIBOM of a sample of models are serialised in
one canonical form and compared with ``answers/recorded.json``.

A deliberate change of an answer is recorded again with ``LINEAGE_RECORD_ANSWERS=1`` and the
diff of the recording is reviewed with the change.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from graph.client import GraphClient
from graph.settings import Neo4jSettings
from tests.support.bundled import BundledGraph
from tests.support.graphql import DASHBOARD, api_settings, http_client, run_graphql

pytestmark = [pytest.mark.integration, pytest.mark.anyio, pytest.mark.slow]

RECORDING = Path(__file__).parent / "answers" / "recorded.json"
RECORD = os.environ.get("LINEAGE_RECORD_ANSWERS") == "1"

MODEL = """
query Model($id: ID!) { model(id: $id) {
  id author status declaredLicenseId licenseRaw licenseName pipelineTag library createdAt lastModified sha
  downloads likes gated params trainingComputeFlops tags aliases stale
  evidence { sourceUrl revision observedAt crawlRunId firstSeen }
  conflictState
  effectiveTerms { termId kind value description licenseId scope fromModel path }
  conflicts { ruleId severity message path licenses steps { modelId licenseId } }
  commercialStatus { status threshold licenseId reason mauThreshold revenueThresholdUsd registrationRequired missing path }
  responsibilityChain { modelId depth party partyKind role relation licenseId licenses deploymentId obligations
    obligationDetails { id text licenseId basis } }
  euAiAct { openSourceExemption systemicRisk modifierBecomesProvider missing reasons providerBasis
    cumulativeComputeFlops computeLowerBoundFlops }
  parents { totalCount edges { ...Edge } }
  children { totalCount edges { ...Edge } }
  ancestors { models { depth model { id } } paths roots truncated edges { relation parent { id } child { id } } }
  descendants { totalCount edges { depth relation model { id } } }
  deployments(includeDescendants: true) { id kind modelId operator status url depth firstSeen lastSeen }
  history { at field oldValue newValue evidence { sourceUrl revision observedAt } }
} }
fragment Edge on Derivation { relation confidence validFrom validTo parent { id } child { id }
  evidence { kind detail relation confidence sourceUrl revision observedAt firstSeen } }
"""

PROPAGATION = """
query Propagation($root: ID, $license: String, $term: String) {
  propagation(root: $root, license: $license, term: $term) {
    scope totalModels byDepth { depth count } byRelation { relation count }
    termFlow { termId kind keep drop violate }
    topRelicensingPoints { parent { id } child { id } droppedTerms fromLicense toLicense downstreamCount }
    conflictsByRule { ruleId severity count }
    deploymentsReached { id kind modelId operator status url depth }
    deploymentsReachedCount
    graph(limit: 300) { truncated nodes { id depth licenseId conflictState status } edges { child parent relation } }
  }
}
"""

LICENSES = """
{ licenses { id family name commercial commercialRaw mauThreshold revenueThresholdUsd restrictions
    restrictionsComplete flowDown derivativeLicensing redistribution shareAlike osiApproved euOssEligible
    sourceUrls verified markers terms { id } flowingTerms { id } }
  terms { id kind key value amount description appliesTo licenseIds } }
"""

LISTS = """
query Lists($relation: Relation) {
  all: models(first: 100) { totalCount edges { id } pageInfo { hasNextPage endCursor } }
  related: models(relation: $relation, first: 20) { totalCount edges { id } }
  conflicted: models(hasConflict: true, first: 20) { totalCount edges { id conflictState } }
  llama: models(search: "llama", first: 20) { totalCount edges { id } }
  apache: models(license: "apache-2.0", first: 20) { totalCount edges { id } }
}
"""

PATH = ("query Path($from: ID!, $to: ID!) { path(from: $from, to: $to) { from to relatedness commonAncestors "
        "paths { modelIds hops { from to direction relation derivation { confidence } } } } }")

RELATIONS = ("FINETUNE", "ADAPTER", "MERGE", "QUANTIZED")
SAMPLE_LICENSES = ("llama3.1", "apache-2.0", "gemma", "mit", "cc-by-nc-4.0")
VOLATILE = re.compile(r'"(generatedAt|generated_at|timestamp|serialNumber)": "[^"]*"')
# the dossier's content hash (and the BOM serial made from it) covers the crawl's instants and the hub's port
CONTENT_HASH = re.compile(r"sha256:[0-9a-f]{64}|urn:uuid:[0-9a-f-]{36}")
HUB = re.compile(r"http://127\.0\.0\.1:\d+")  # the replay hub's port changes from run to run
SPOKEN_TIME = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d:\d\d UTC")  # as the dossier writes it
TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def choose_models(lists: dict[str, Any], roots: list[dict[str, Any]]) -> list[str]:
    """Roots first, then models of each relation, then the conflicted: a sample of every shape."""
    chosen: list[str] = [root["model"]["id"] for root in roots[:12]]
    for key in ("related", "conflicted", "llama"):
        chosen.extend(edge["id"] for edge in lists[key]["edges"][:8])
    return sorted(dict.fromkeys(chosen))


async def collect(graph: GraphClient, redis_url: str, neo4j: Neo4jSettings, models: list[str] | None) -> dict[str, Any]:
    settings = api_settings(redis_url, query_timeout_s=120)  # the answers matter here, not their speed

    async def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
        result = await run_graphql(graph, query, variables, settings=settings)
        assert not result.errors, result.errors
        return result.data

    answers: dict[str, Any] = {}
    pickers = await ask(DASHBOARD["pickers"], {"first": 50})
    answers["pickers"] = pickers
    answers["licenses"] = await ask(LICENSES)
    for relation in RELATIONS:
        answers[f"lists/{relation}"] = await ask(LISTS, {"relation": relation})
    if models is None:
        chosen: list[str] = []
        for relation in RELATIONS:
            chosen.extend(choose_models(answers[f"lists/{relation}"], pickers["roots"]["edges"]))
        models = sorted(dict.fromkeys(chosen))
    answers["models"] = models
    for model_id in models:
        answers[f"model/{model_id}"] = await ask(MODEL, {"id": model_id})
        answers[f"dashboard-model/{model_id}"] = await ask(DASHBOARD["model"], {"id": model_id})
    for root in pickers["roots"]["edges"][:15]:
        answers[f"propagation/root/{root['model']['id']}"] = await ask(PROPAGATION, {"root": root["model"]["id"]})
    for license_id in SAMPLE_LICENSES:
        answers[f"propagation/license/{license_id}"] = await ask(PROPAGATION, {"license": license_id})
    for term in pickers["terms"][:10]:
        answers[f"propagation/term/{term['id']}"] = await ask(PROPAGATION, {"term": term["id"]})
    for model_id in models[:20]:
        for other in models[-5:]:
            answers[f"path/{model_id}/{other}"] = await ask(PATH, {"from": model_id, "to": other})
    async with http_client(neo4j, settings) as client:
        for model_id in models[:15]:
            for suffix in ("?format=json", "?format=md", "?format=html"):
                response = await client.get(f"/investigations/{quote(model_id)}{suffix}")
                answers[f"dossier/{model_id}{suffix}"] = [response.status_code, body(response)]
            response = await client.get(f"/aibom/{quote(model_id)}")
            answers[f"aibom/{model_id}"] = [response.status_code, body(response)]
    return answers


def body(response: httpx.Response) -> Any:
    """JSON as data, text as lines (so that a changed answer shows as a readable diff)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text.splitlines()


def canonical(answers: dict[str, Any]) -> str:
    """One text for the answers: keys sorted; the replay hub's address and the instants of this
    session's crawl (observed times: the day of the run, not of the recorded data) replaced."""
    text = json.dumps(answers, indent=1, sort_keys=True, ensure_ascii=False)
    text = HUB.sub("http://replay-hub", VOLATILE.sub(r'"\1": "…"', text))
    text = CONTENT_HASH.sub("<content hash>", text)
    recent = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    text = TIMESTAMP.sub(lambda m: "<observed during the run>" if m.group(1) >= recent else m.group(0), text)
    text = SPOKEN_TIME.sub(lambda m: "<observed during the run>" if spoken_recently(m.group(0)) else m.group(0), text)
    return text + "\n"


def spoken_recently(text: str) -> bool:
    return datetime.strptime(text, "%d %B %Y, %H:%M:%S UTC").replace(tzinfo=UTC) > datetime.now(UTC) - timedelta(days=2)


async def test_answers_for_the_bundled_snapshot_are_unchanged(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str
) -> None:
    bundled_graph.ensure()
    recorded = None if RECORD else json.loads(RECORDING.read_text())
    graph = GraphClient(neo4j_settings)
    try:
        answers = await collect(graph, redis_url, neo4j_settings, None if recorded is None else recorded["models"])
    finally:
        await graph.close()
    text = canonical(answers)
    if RECORD:
        RECORDING.write_text(text)
        pytest.skip(f"recorded {len(answers)} answers in {RECORDING}")
    assert len(answers["models"]) >= 30
    before = RECORDING.read_text()
    if text != before:
        diff = difflib.unified_diff(before.splitlines(), text.splitlines(), "recorded", "now", lineterm="", n=2)
        shown = "\n".join(itertools.islice(diff, 80))
        pytest.fail(f"an answer changed (LINEAGE_RECORD_ANSWERS=1 records anew; review the diff):\n{shown}")
