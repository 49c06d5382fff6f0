"""Mutations behind API keys: refused without a valid key (nothing enqueued or written), done with one.

``registerDeployment`` writes the deployment and enqueues the recompute of the model's results:
the tests wait (bounded) for a worker to have stored them.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from neo4j import Driver

from api.settings import ApiSettings
from graph.client import GraphClient
from graph.registration import REGISTERED_EVIDENCE
from graph.results.recompute import recompute_affected
from graph.settings import Neo4jSettings
from tests.support.bundled import BundledGraph
from tests.support.graphql import API_KEY, http_client, run_graphql

pytestmark = pytest.mark.integration

ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"
MISTRAL = "mistralai/Mistral-7B-v0.1"
REQUEST = 'mutation { requestCrawl(seeds: ["HuggingFaceH4/zephyr-7b-beta"], up: true, down: 1) { id state seeds down } }'
SWEEP = 'mutation { requestSweep(since: "2025-07-01T00:00:00Z") { id state sweep { mode since pageSize pagesListed } } }'
REGISTER = """mutation($model: ID!, $url: String) {
    registerDeployment(model: $model, operator: "acme-corp", kind: ENDPOINT, url: $url) {
      id kind modelId operator status url } }"""
BAD_KEYS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer wrong-key"},
    {"X-API-Key": API_KEY[:-1]},
    {"Authorization": f"Basic {API_KEY}"},
]


@pytest.fixture
def jobs(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def job_keys(jobs: redis.Redis) -> set[bytes]:
    return set(jobs.scan_iter("lineage:job:*"))


CHAIN = """query($id: ID!, $root: ID!) {
    model(id: $id) { deployments { id } responsibilityChain { role deploymentId party } }
    propagation(root: $root) { deploymentsReached { id modelId operator } } }"""
WAIT_S = 60.0


def wait_until_propagation_is_idle(redis_url: str, timeout_s: float = WAIT_S) -> None:
    """Wait until no recompute is queued or running (the session's worker consumes the queue)."""
    from workers.app import app

    broker = redis.Redis.from_url(redis_url, socket_timeout=5)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            inspect = app.control.inspect(timeout=1.0)
            busy = [t for found in (inspect.active(), inspect.reserved()) for tasks in (found or {}).values()
                    for t in tasks]
            if not broker.llen("propagation") and not busy:
                return
            time.sleep(0.2)
    finally:
        broker.close()
    raise AssertionError(f"recomputes still queued or running after {timeout_s}s")


def deployments(driver: Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (d:Deployment) RETURN count(d) AS n")
    return int(records[0]["n"])


@pytest.mark.anyio
@pytest.mark.parametrize("headers", BAD_KEYS)
async def test_mutations_without_a_valid_key_are_refused_and_change_nothing(
    graph: GraphClient, settings: ApiSettings, jobs: redis.Redis, neo4j_driver: Driver, headers: dict[str, str]
) -> None:
    before_jobs, before_deployments = job_keys(jobs), deployments(neo4j_driver)
    for query, variables in (
        (REQUEST, {}),
        (SWEEP, {}),
        ('mutation { cancelCrawl(id: "0123456789abcdef") { id } }', {}),
        (REGISTER, {"model": ZEPHYR, "url": "https://acme.example/chat"}),
    ):
        result = await run_graphql(graph, query, variables, settings=settings, headers=headers)
        assert result.data is None or set(result.data.values()) == {None}
        assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"
        assert "authentication required" in result.errors[0].message
    assert job_keys(jobs) == before_jobs
    assert deployments(neo4j_driver) == before_deployments


@pytest.mark.anyio
async def test_with_no_keys_configured_every_mutation_is_refused(graph: GraphClient, redis_url: str) -> None:
    closed = ApiSettings(redis_url=redis_url)
    result = await run_graphql(graph, REQUEST, settings=closed, headers={"Authorization": "Bearer "})
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"


@pytest.mark.anyio
async def test_crawl_jobs_are_requested_read_and_cancelled_with_a_key(
    graph: GraphClient, settings: ApiSettings, jobs: redis.Redis
) -> None:
    started = await run_graphql(graph, REQUEST, settings=settings, headers={"Authorization": f"Bearer {API_KEY}"})
    assert started.errors is None, started.errors
    job = started.data["requestCrawl"]
    assert job["state"] == "RUNNING" and job["seeds"] == [ZEPHYR] and job["down"] == 1
    read = await run_graphql(graph, """query($id: ID!) { crawlJob(id: $id) {
        id state pending counters { modelsSeen modelsWritten queued hubRequests } allCounters { kind count } createdAt } }""",
        {"id": job["id"]}, settings=settings)
    assert read.errors is None and read.data["crawlJob"]["id"] == job["id"]
    assert read.data["crawlJob"]["pending"] >= 1
    cancelled = await run_graphql(graph, 'mutation($id: ID!) { cancelCrawl(id: $id) { id state finishedAt } }',
                                  {"id": job["id"]}, settings=settings, headers={"X-API-Key": API_KEY})
    assert cancelled.errors is None, cancelled.errors
    assert cancelled.data["cancelCrawl"]["state"] == "CANCELLED" and cancelled.data["cancelCrawl"]["finishedAt"]
    bad = await run_graphql(graph, 'mutation { requestCrawl(seeds: ["not a model id!!"]) { id } }',
                            settings=settings, headers={"X-API-Key": API_KEY})
    assert bad.errors[0].extensions["code"] == "BAD_USER_INPUT" and "not a model id" in bad.errors[0].message


@pytest.mark.anyio
async def test_a_sweep_is_requested_with_a_key_and_read_as_a_crawl_job(
    graph: GraphClient, settings: ApiSettings, jobs: redis.Redis
) -> None:
    started = await run_graphql(graph, SWEEP, settings=settings, headers={"X-API-Key": API_KEY})
    assert started.errors is None, started.errors
    job = started.data["requestSweep"]
    assert job["sweep"]["mode"] == "SINCE" and job["sweep"]["since"].startswith("2025-07-01T00:00:00")
    assert job["sweep"]["pageSize"] == 1000
    cancelled = await run_graphql(graph, 'mutation($id: ID!) { cancelCrawl(id: $id) { id state sweep { mode } } }',
                                  {"id": job["id"]}, settings=settings, headers={"X-API-Key": API_KEY})
    assert cancelled.data["cancelCrawl"]["state"] == "CANCELLED"
    # like every DateTime: without an offset it is UTC, a date alone is 00:00 UTC, anything else is refused
    for given in ("2025-07-01T00:00:00", "2025-07-01"):
        naive = await run_graphql(graph, 'mutation($s: DateTime) { requestSweep(since: $s) { id sweep { since } } }',
                                  {"s": given}, settings=settings, headers={"X-API-Key": API_KEY})
        assert naive.errors is None, naive.errors
        assert naive.data["requestSweep"]["sweep"]["since"] == "2025-07-01T00:00:00+00:00"
        await run_graphql(graph, 'mutation($id: ID!) { cancelCrawl(id: $id) { id } }',
                          {"id": naive.data["requestSweep"]["id"]}, settings=settings, headers={"X-API-Key": API_KEY})
    garbled = await run_graphql(graph, 'mutation { requestSweep(since: "last week") { id } }',
                                settings=settings, headers={"X-API-Key": API_KEY})
    assert garbled.errors[0].extensions["code"] == "BAD_USER_INPUT" and "e.g. 2024-09-01T00:00:00Z" in garbled.errors[0].message
    both = await run_graphql(graph, 'mutation { requestSweep(full: true, since: "2025-07-01T00:00:00Z") { id } }',
                             settings=settings, headers={"X-API-Key": API_KEY})
    assert both.errors[0].extensions["code"] == "BAD_USER_INPUT"


@pytest.mark.anyio
async def test_a_registered_deployment_joins_the_chain_and_the_dashboards_once_recomputed(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, settings: ApiSettings, neo4j_driver: Driver,
    celery_worker: subprocess.Popen[bytes], redis_url: str,
) -> None:
    bundled_graph.ensure()
    url = "https://chat.acme.example/v1"
    async with http_client(neo4j_settings, settings) as client:
        answer = await client.post("/graphql", json={"query": REGISTER, "variables": {"model": ZEPHYR, "url": url}},
                                   headers={"X-API-Key": API_KEY})
        body = answer.json()
        assert "errors" not in body, body
        registered = body["data"]["registerDeployment"]
        try:
            assert registered["kind"] == "ENDPOINT" and registered["modelId"] == ZEPHYR
            assert registered["operator"] == "acme-corp" and registered["url"] == url
            records, _, _ = neo4j_driver.execute_query(
                """MATCH (p:Party {id: 'acme-corp'})-[:OPERATES]->(d:Deployment {id: $id})-[s:SERVES]->(m:Model)
                   RETURN m.id AS model, d.source_url AS evidence, s.source_url AS serves_evidence""",
                {"id": registered["id"]},
            )
            assert [dict(r) for r in records] == [
                {"model": ZEPHYR, "evidence": REGISTERED_EVIDENCE, "serves_evidence": REGISTERED_EVIDENCE}
            ]
            again = await client.post("/graphql", json={"query": REGISTER, "variables": {"model": ZEPHYR, "url": url}},
                                      headers={"Authorization": f"Bearer {API_KEY}"})
            assert again.json()["data"]["registerDeployment"]["id"] == registered["id"], "registering twice is idempotent"
            deadline = time.monotonic() + WAIT_S  # the recompute was enqueued: a worker stores the chain
            while True:
                seen = (await client.post("/graphql", json={"query": CHAIN, "variables": {"id": ZEPHYR, "root": MISTRAL}}
                                          )).json()["data"]
                chain = [s for s in seen["model"]["responsibilityChain"] if s["deploymentId"] == registered["id"]]
                if chain or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert chain, f"the recomputed chain did not show the deployment within {WAIT_S}s"
            assert registered["id"] in [d["id"] for d in seen["model"]["deployments"]]
            step = chain[0]
            assert step["role"] == "DEPLOYER" and step["party"] == "acme-corp"
            assert {"id": registered["id"], "modelId": ZEPHYR, "operator": "acme-corp"} in seen["propagation"]["deploymentsReached"]
        finally:
            await asyncio.to_thread(wait_until_propagation_is_idle, redis_url)
            neo4j_driver.execute_query("MATCH (d:Deployment {id: $id}) DETACH DELETE d", {"id": registered["id"]})
            recompute_affected(neo4j_driver, [ZEPHYR])  # the stored results as they were before the test
        unknown = (await client.post("/graphql", json={"query": REGISTER, "variables": {"model": "nobody/nothing"}},
                                     headers={"X-API-Key": API_KEY})).json()
        assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "is not in the graph" in unknown["errors"][0]["message"]
        bad_url = (await client.post("/graphql", json={"query": REGISTER, "variables": {"model": ZEPHYR, "url": "ftp://x"}},
                                     headers={"X-API-Key": API_KEY})).json()
        assert "url must be an http(s) URL" in bad_url["errors"][0]["message"]


@pytest.mark.anyio
async def test_register_deployment_says_its_results_are_refreshed_asynchronously(
    graph: GraphClient, settings: ApiSettings
) -> None:
    result = await run_graphql(graph, '{ __type(name: "Mutation") { fields { name description } } }', settings=settings)
    described = {f["name"]: f["description"] for f in result.data["__type"]["fields"]}
    assert "refreshed asynchronously" in described["registerDeployment"]
