"""Watches end to end on the real stack: replay hub edits → sweep by real workers → change records →
dispatch → signed webhook deliveries (retried, parked, disabled) and a GraphQL subscription over
graphql-transport-ws, with watches made through the real API under uvicorn.

The family under watch is added to a small synthetic hub by the replay hub's edits route, then
relicensed, extended and gated there, as the Hub would serve each push; every change reaches the
graph through an incremental sweep, as it would in production.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from standardwebhooks import Webhook
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from api.app import create_app
from api.settings import ApiSettings
from graph.settings import Neo4jSettings
from hubreplay.serve import ReplayServer, serve_in_thread
from tests.support.browser import served_in_thread
from tests.support.crawl import WorkerProcs, crawl_env, family, wait_job, wipe_graph
from tests.support.stack import free_port
from tests.support.webhooks import Received, Receiver
from workers.client import CrawlClient
from workers.settings import WorkerSettings

pytestmark = pytest.mark.integration

ROOT, CHILD, GRAND = "watchco/base-7b", "tuner/base-7b-chat", "quant/base-7b-chat-gguf"
NEWCOMER = "late/base-7b-chat-v2"
KEY, OTHER_KEY = "watch-test-key-" + "a" * 32, "watch-test-key-" + "b" * 32
DELIVERY_S = 30.0


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    folder = family(tmp_path_factory.mktemp("watch-family") / "syn20", models=20, seed=21)
    with serve_in_thread(folder, port=free_port()) as server:
        _edit(server, {"op": "add", "id": ROOT, "license": "apache-2.0"},
              {"op": "add", "id": CHILD, "base_model": ROOT, "relation": "finetune", "license": "apache-2.0"},
              {"op": "add", "id": GRAND, "base_model": CHILD, "relation": "quantized", "license": "apache-2.0"})
        yield server


def _edit(hub: ReplayServer, *edits: dict[str, Any]) -> None:
    response = httpx.post(f"{hub.url}/_replay/changes", json={"edits": list(edits)}, timeout=30)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def watch_redis(redis_url: str) -> str:
    url = redis_url.rsplit("/", 1)[0] + "/8"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def environment(watch_redis: str, neo4j_uri: str) -> Iterator[dict[str, str]]:
    """What the workers and the API in this process read: keys, the loopback allowance, fast retries."""
    values = {
        "REDIS_URL": watch_redis, "NEO4J_URI": neo4j_uri, "LINEAGE_API_KEYS": f"{KEY},{OTHER_KEY}",
        "LINEAGE_WEBHOOK_ALLOWED_TARGETS": "127.0.0.0/8", "LINEAGE_WEBHOOK_BACKOFF_BASE_S": "2",
        "LINEAGE_WEBHOOK_BACKOFF_MAX_S": "6", "LINEAGE_WEBHOOK_TIMEOUT_S": "3",
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def workers(hub: ReplayServer, environment: dict[str, str], clean_module_graph: None,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcs]:
    env = crawl_env(environment["REDIS_URL"], environment["NEO4J_URI"], {hub.url: 100_000},
                    LINEAGE_CRAWL_PROPAGATE="1", LINEAGE_SWEEP_EVERY_S="0", LINEAGE_SWEEP_PAGE_SIZE="100",
                    **{k: v for k, v in environment.items() if k.startswith("LINEAGE_WEBHOOK_")})
    procs = WorkerProcs(env, tmp_path_factory.mktemp("watch-workers"))
    procs.start("watch-a", concurrency=4)
    try:
        procs.wait_ready()
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture(scope="module")
def clean_module_graph(neo4j_driver: Any) -> None:
    wipe_graph(neo4j_driver)


@pytest.fixture(scope="module")
def client(workers: WorkerProcs, environment: dict[str, str]) -> CrawlClient:
    return CrawlClient(WorkerSettings(redis_url=environment["REDIS_URL"], sweep_page_size=100))


@pytest.fixture(scope="module")
def swept(client: CrawlClient, hub: ReplayServer) -> str:
    """The family written by a first full sweep (nobody watches yet)."""
    job = wait_job(client, str(client.request_sweep(full=True, endpoint=hub.url)), timeout_s=180)
    return job.id


@pytest.fixture(scope="module")
def api(environment: dict[str, str], swept: str) -> Iterator[str]:
    app = create_app(ApiSettings(), Neo4jSettings())
    with served_in_thread(app, "watch-api") as url:
        yield url.rstrip("/")


def _gql(api: str, query: str, variables: dict[str, Any] | None = None, key: str | None = KEY) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    response = httpx.post(f"{api}/graphql", json={"query": query, "variables": variables or {}}, headers=headers,
                          timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CREATE = """mutation($scope: WatchScopeInput!, $url: String, $kinds: [ChangeKind!]) {
  createWatch(scope: $scope, webhookUrl: $url, kinds: $kinds) { secret watch { id scope { kind id } enabled } } }"""


def _watch(api: str, scope: dict[str, str], url: str | None, key: str = KEY) -> tuple[str, str | None]:
    body = _gql(api, CREATE, {"scope": scope, "url": url}, key)
    assert "errors" not in body, body
    made = body["data"]["createWatch"]
    return made["watch"]["id"], made["secret"]


def _sweep(client: CrawlClient, hub: ReplayServer) -> str:
    return wait_job(client, str(client.request_sweep(endpoint=hub.url)), timeout_s=120).id


def _verified(received: Received, secret: str) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    assert received.headers["webhook-id"] == payload["id"]
    return payload


class Subscription:
    """A graphql-transport-ws client in a thread, collecting every ``next`` payload."""

    def __init__(self, api: str, scope: dict[str, str]) -> None:
        self.events: list[dict[str, Any]] = []
        self.errors: list[Any] = []
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(connect(
            api.replace("http://", "ws://") + "/graphql", subprotocols=[Subprotocol("graphql-transport-ws")],
            open_timeout=10))
        self._ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(self._ws.recv(timeout=10))["type"] == "connection_ack"
        query = """subscription($scope: WatchScopeInput!) { changes(scope: $scope) {
          batch total changes { id kind modelId } impact { descendantsAffected conflictsOpened } } }"""
        self._ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": query, "variables": {"scope": scope}}}))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                message = json.loads(self._ws.recv())
                if message["type"] == "next":
                    if message["payload"].get("errors"):
                        self.errors.append(message["payload"]["errors"])
                    else:
                        self.events.append(message["payload"]["data"]["changes"])
                elif message["type"] == "error":
                    self.errors.append(message["payload"])
        except Exception:  # noqa: BLE001 - closed by the test
            return

    def wait(self, batch: str, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert not self.errors, self.errors
            for event in self.events:
                if event["batch"] == batch:
                    return event
            time.sleep(0.2)
        raise TimeoutError(f"no subscription event for {batch} within {timeout_s}s ({len(self.events)} others)")

    def close(self) -> None:
        self._stack.close()


def test_a_relicensed_root_reaches_each_matching_watch_once_signed_and_a_subscriber_too(
    api: str, hub: ReplayServer, client: CrawlClient
) -> None:
    receiver = Receiver().start()
    try:
        family_watch, family_secret = _watch(api, {"root": ROOT}, receiver.url)
        model_watch, model_secret = _watch(api, {"model": GRAND}, receiver.url)
        licence_watch, licence_secret = _watch(api, {"license": "CC-BY-NC-4.0"}, receiver.url)  # any case
        other_root = next(m for m in httpx.get(f"{hub.url}/api/models", params={"limit": 50}).json()
                          if not m["id"].startswith(("watchco/", "tuner/", "quant/")) and "base_model" not in str(m))
        unrelated_watch, _ = _watch(api, {"root": other_root["id"]}, receiver.url)
        subscription = Subscription(api, {"root": ROOT})
        try:
            _edit(hub, {"op": "relicense", "id": ROOT, "license": "cc-by-nc-4.0"})
            began = time.monotonic()
            batch = _sweep(client, hub)
            deliveries = receiver.wait(3, DELIVERY_S, batch)
            assert time.monotonic() - began < DELIVERY_S + 60  # the sweep itself plus at most 30 s of delivery
            time.sleep(3)  # nothing more comes: one event per matching watch
            deliveries = receiver.events(batch)
            secrets = {family_watch: family_secret, model_watch: model_secret, licence_watch: licence_secret}
            by_watch = {d.event["watchId"]: _verified(d, secrets[d.event["watchId"]] or "") for d in deliveries}
            assert len(deliveries) == 3 and set(by_watch) == {family_watch, model_watch, licence_watch}
            assert unrelated_watch not in by_watch

            event = by_watch[family_watch]
            licence = [c for c in event["changes"] if c["kind"] == "LICENSE_CHANGED"]
            assert [(c["modelId"], c["details"]["old"], c["details"]["new"]) for c in licence] == [
                (ROOT, "apache-2.0", "cc-by-nc-4.0")]
            impact = event["impact"]
            assert impact["changedModels"] == [ROOT]
            assert impact["descendantsAffected"] == 2
            assert any(c["modelId"] == CHILD and c["rule"] == "R17" for c in impact["opened"])
            assert by_watch[model_watch]["impact"]["paths"] == [{"from": ROOT, "to": GRAND, "models": [ROOT, CHILD, GRAND]}]

            live = subscription.wait(batch, DELIVERY_S)
            assert {c["id"] for c in live["changes"]} == {c["id"] for c in event["changes"]}
            assert live["total"] == event["total"]
            assert live["impact"]["descendantsAffected"] == impact["descendantsAffected"]

            log = _gql(api, """query($id: ID!) { watch(id: $id) { deliveries { edges { node {
                status attempts event { id batch } } } } } }""", {"id": family_watch})
            [node] = [e["node"] for e in log["data"]["watch"]["deliveries"]["edges"] if e["node"]["event"]["batch"] == batch]
            assert node["status"] == "delivered" and node["attempts"] == 1
        finally:
            subscription.close()
    finally:
        receiver.stop()


def test_a_family_watch_hears_of_a_derivative_that_did_not_exist_when_it_was_made(
    api: str, hub: ReplayServer, client: CrawlClient
) -> None:
    receiver = Receiver().start()
    try:
        watch, secret = _watch(api, {"root": ROOT}, receiver.url)
        _edit(hub, {"op": "add", "id": NEWCOMER, "base_model": CHILD, "relation": "finetune", "license": "mit"})
        batch = _sweep(client, hub)
        [delivery] = receiver.wait(1, DELIVERY_S, batch)
        event = _verified(delivery, secret or "")
        assert event["watchId"] == watch
        added = [c for c in event["changes"] if c["modelId"] == NEWCOMER and c["kind"] == "MODEL_ADDED"]
        assert [(p["parent"], p["relation"]) for p in added[0]["details"]["parents"]] == [(CHILD, "finetune")]
        assert {"from": NEWCOMER, "to": ROOT, "models": [NEWCOMER, CHILD, ROOT]} in event["impact"]["paths"]
    finally:
        receiver.stop()


def test_a_receiver_down_for_a_minute_gets_the_event_once_and_one_answering_410_disables_its_watch(
    api: str, hub: ReplayServer, client: CrawlClient
) -> None:
    down = Receiver()  # not started: connections are refused
    gone = Receiver(status=410).start()
    try:
        late_watch, late_secret = _watch(api, {"root": ROOT}, down.url)
        gone_watch, _ = _watch(api, {"root": ROOT}, gone.url)
        _edit(hub, {"op": "gate", "id": GRAND, "gated": "manual"})
        batch = _sweep(client, hub)
        gone.wait(1, DELIVERY_S, batch)
        time.sleep(60)
        down.start()
        [delivery] = down.wait(1, DELIVERY_S, batch)
        time.sleep(8)  # past the longest backoff: no second delivery comes
        assert len(down.events(batch)) == 1
        event = _verified(delivery, late_secret or "")
        assert any(c["kind"] == "MODEL_GATED" and c["modelId"] == GRAND for c in event["changes"])

        query = """query($id: ID!) { watch(id: $id) { enabled disabledReason deliveries { edges { node {
            status attempts reason log { outcome status reason } event { batch } } } } } }"""
        late = _gql(api, query, {"id": late_watch})["data"]["watch"]
        [node] = [e["node"] for e in late["deliveries"]["edges"] if e["node"]["event"]["batch"] == batch]
        assert node["status"] == "delivered" and node["attempts"] > 1
        assert [a["outcome"] for a in node["log"]][:-1] == ["RETRY"] * (node["attempts"] - 1)
        assert node["log"][-1]["outcome"] == "DELIVERED"

        disabled = _gql(api, query, {"id": gone_watch})["data"]["watch"]
        assert disabled["enabled"] is False and "410" in disabled["disabledReason"]
        [parked] = [e["node"] for e in disabled["deliveries"]["edges"] if e["node"]["event"]["batch"] == batch]
        assert parked["status"] == "parked" and parked["attempts"] == 1
        assert len(gone.events(batch)) == 1
    finally:
        down.stop()
        gone.stop()


def test_webhook_urls_of_private_or_metadata_addresses_are_refused_with_a_clear_error(api: str) -> None:
    for url in ("http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/x"):
        body = _gql(api, CREATE, {"scope": {"root": ROOT}, "url": url})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "webhookUrl"
        assert "refused" in error["message"] and "LINEAGE_WEBHOOK_ALLOWED_TARGETS" in error["message"]


def test_each_key_sees_and_deletes_only_its_own_watches(api: str) -> None:
    mine, _ = _watch(api, {"model": CHILD}, None)
    theirs = _gql(api, "{ watches { id } }", key=OTHER_KEY)["data"]["watches"]
    assert mine not in {w["id"] for w in theirs}
    refused = _gql(api, "mutation($id: ID!) { deleteWatch(id: $id) }", {"id": mine}, OTHER_KEY)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert _gql(api, "mutation($id: ID!) { deleteWatch(id: $id) }", {"id": mine})["data"]["deleteWatch"] is True
    anonymous = _gql(api, "{ watches { id } }", key=None)
    assert anonymous["data"] is None or anonymous["errors"]


def test_changes_of_a_scope_are_queryable_since_an_instant(api: str) -> None:
    query = """query($scope: WatchScopeInput) { changes(scope: $scope, since: "2020-01-01", kinds: [LICENSE_CHANGED]) {
        edges { node { kind modelId details evidence { sourceUrl } } } } }"""
    edges = _gql(api, query, {"scope": {"model": GRAND}}, key=None)["data"]["changes"]["edges"]
    changes = [(e["node"]["modelId"], e["node"]["details"]["new"]) for e in edges]
    assert (ROOT, "cc-by-nc-4.0") in changes  # upstream of GRAND
    assert all(e["node"]["evidence"]["sourceUrl"] for e in edges)
    unknown = _gql(api, query, {"scope": {"root": "nobody/nothing"}}, key=None)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
