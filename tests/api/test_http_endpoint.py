"""GraphQL over HTTP against the real app: malformed bodies, admission control, the response cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from neo4j import Driver

from api.app import create_app
from api.response_cache import ResponseCache
from api.settings import ApiSettings
from crawler.observations import DeclaredLicense, ModelSeen, Source
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter
from tests.support.bundled import BundledGraph
from tests.support.graphql import api_settings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

MODEL = "meta-llama/Llama-3.1-8B"


@asynccontextmanager
async def served(neo4j: Neo4jSettings, settings: ApiSettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The real app (lifespan included) and a client talking to it in process."""
    app = create_app(settings, neo4j)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            yield app, client


@pytest.fixture
async def app_client(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    bundled_graph.ensure()
    async with served(neo4j_settings, api_settings(redis_url)) as both:
        yield both


@pytest.fixture
def client(app_client: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_client[1]


def _only_error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert body["data"] is None
    assert len(body["errors"]) == 1
    return body["errors"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'"{ licenses { id } }"', "JSON object"),
        (b"null", "JSON object"),
        (b"42", "JSON object"),
        (b'[{"query": "{ licenses { id } }"}, {"query": "{ terms { id } }"}]', "batched"),
        (b"{not json", "not valid JSON"),
        (b'{"variables": {}}', "no GraphQL document"),
        (b'{"query": 7}', "no GraphQL document"),
        (b'{"query": "{ licenses { id } }", "variables": [1]}', '"variables"'),
        (b'{"query": "{ licenses { id } }", "operationName": 3}', '"operationName"'),
    ],
)
async def test_a_body_that_is_not_one_operation_gets_400_with_what_is_wrong(
    client: httpx.AsyncClient, body: bytes, words: str
) -> None:
    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = _only_error(response)
    assert words in str(error["message"])
    assert error["extensions"]["code"] == "BAD_REQUEST"  # type: ignore[index]


async def test_a_body_that_is_not_json_content_gets_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"{ licenses { id } }", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "application/json" in str(_only_error(response)["message"])


async def test_a_ten_megabyte_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    huge = b'{"query": "{ licenses { id } }", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = await client.post("/graphql", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert _only_error(response)["extensions"]["code"] == "REQUEST_TOO_LARGE"  # type: ignore[index]


async def test_a_query_sent_with_get_runs_and_a_mutation_sent_with_get_does_not(client: httpx.AsyncClient) -> None:
    ok = await client.get("/graphql", params={"query": "{ licenses { id } }"})
    assert ok.status_code == 200
    assert any(entry["id"] == "apache-2.0" for entry in ok.json()["data"]["licenses"])
    refused = await client.get("/graphql", params={"query": 'mutation { cancelCrawl(id: "x") { id } }'})
    assert refused.status_code == 400
    assert "mutations are not allowed when using GET" in str(_only_error(refused)["message"])


async def test_when_every_slot_is_taken_an_operation_is_refused_with_503_and_retry_after(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str
) -> None:
    bundled_graph.ensure()
    settings = api_settings(redis_url, max_concurrent_operations=1, max_waiting_operations=0)
    async with served(neo4j_settings, settings) as (app, client):
        admission = app.state.admission
        async with admission.slot():  # another operation holds the only slot
            refused = await client.post("/graphql", json={"query": "{ licenses { id } }"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == str(settings.retry_after_s)
        error = _only_error(refused)
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"  # type: ignore[index]
        assert "retry" in str(error["message"])
        answered = await client.post("/graphql", json={"query": "{ licenses { id } }"})
        assert answered.status_code == 200  # the slot is free again: nothing leaked


async def test_an_operation_waits_for_a_slot_within_the_admission_wait(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str
) -> None:
    bundled_graph.ensure()
    settings = api_settings(redis_url, max_concurrent_operations=1, max_waiting_operations=4, admission_wait_s=5)
    async with served(neo4j_settings, settings) as (app, client):
        admission = app.state.admission
        held = asyncio.Event()

        async def hold_briefly() -> None:
            async with admission.slot():
                held.set()
                await asyncio.sleep(0.3)

        holder = asyncio.create_task(hold_briefly())
        await held.wait()
        response = await client.post("/graphql", json={"query": "{ licenses { id } }"})
        await holder
        assert response.status_code == 200


def _model_seen(model_id: str, license_id: str) -> ModelSeen:
    source = Source(url=f"https://huggingface.co/{model_id}", revision="r1", observed_at=datetime.now(UTC))
    return ModelSeen(id=model_id, source=source, author=model_id.split("/")[0],
                     declared_license=DeclaredLicense(license_id))


async def test_a_write_is_seen_by_the_next_read_although_the_answer_was_cached(
    app_client: tuple[FastAPI, httpx.AsyncClient], neo4j_driver: Driver
) -> None:
    app, client = app_client
    model_id = f"cache-probe/written-{datetime.now(UTC).timestamp():.0f}"
    query = {"query": "query($id: ID!) { model(id: $id) { id declaredLicenseId } }", "variables": {"id": model_id}}
    cache: ResponseCache = app.state.response_cache

    before = await client.post("/graphql", json=query)
    again = await client.post("/graphql", json=query)
    assert before.json() == again.json() == {"data": {"model": None}}
    hits = cache.hits
    assert hits >= 1  # the second read was served from the cache

    GraphWriter(neo4j_driver).write([_model_seen(model_id, "apache-2.0")], run_id="cache-probe")
    after = await client.post("/graphql", json=query)
    assert after.json()["data"]["model"] == {"id": model_id, "declaredLicenseId": "apache-2.0"}

    GraphWriter(neo4j_driver).write([_model_seen(model_id, "mit")], run_id="cache-probe")
    changed = await client.post("/graphql", json=query)
    assert changed.json()["data"]["model"]["declaredLicenseId"] == "mit"


async def test_fifty_identical_dashboard_requests_cost_one_computation(
    app_client: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = app_client
    cache: ResponseCache = app.state.response_cache
    query = {"query": "query Fifty($root: ID) { propagation(root: $root) { scope totalModels "
             "conflictsByRule { ruleId count } } }", "variables": {"root": MODEL}}
    misses = cache.misses
    answers = await asyncio.gather(*(client.post("/graphql", json=query) for _ in range(50)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["data"]["propagation"]["totalModels"] > 1
    assert cache.misses - misses == 1


async def test_answers_with_errors_and_crawl_jobs_are_not_cached(
    app_client: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, client = app_client
    cache: ResponseCache = app.state.response_cache
    size = len(cache)
    job = await client.post("/graphql", json={"query": '{ crawlJob(id: "no-such-job") { id } }'})
    assert job.json() == {"data": {"crawlJob": None}}
    bad = await client.post("/graphql", json={"query": "{ models(first: 100000) { totalCount } }"})
    assert bad.json()["errors"]
    assert len(cache) == size


async def test_with_the_cache_off_every_request_is_computed(
    bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str
) -> None:
    bundled_graph.ensure()
    settings: ApiSettings = api_settings(redis_url, response_cache=False)
    async with served(neo4j_settings, settings) as (app, client):
        assert app.state.response_cache is None
        answers = [await client.post("/graphql", json={"query": "{ licenses { id } }"}) for _ in range(2)]
        assert answers[0].json() == answers[1].json()
