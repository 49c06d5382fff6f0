"""The crawler's HubSource (real huggingface_hub client) crawls the scale hubs: up, down, cycles, real ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from crawler.observations import DerivationSeen, ModelSeen
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from hubreplay.serve import ReplayServer
from tests.support.stack import free_port


def test_deep_crawl_of_a_synthetic_model_up_and_down(synthetic_hub: ReplayServer) -> None:
    hub = synthetic_hub.hub.scale  # type: ignore[attr-defined]
    columns = hub.catalog.columns
    seed = next(i for i in range(5000, 20_000) if columns.parents(i) and hub.catalog.children(i, None))
    seed_id = hub.source.model_id(seed)
    with HubSource(CrawlerSettings(endpoint=synthetic_hub.url)) as source:
        observations = list(source.iter_observations(seed_id, up=True, down=1))
    models = {o.id for o in observations if isinstance(o, ModelSeen)}
    edges = {(o.child_id, o.parent_id) for o in observations if isinstance(o, DerivationSeen)}
    parent_id = hub.source.model_id(columns.parents(seed)[0])
    assert {seed_id, parent_id} <= models
    assert (seed_id, parent_id) in edges
    children = {hub.source.model_id(c) for c in hub.catalog.children(seed, None)}
    assert children <= {child for child, parent in edges if parent == seed_id}
    seen = next(o for o in observations if isinstance(o, ModelSeen) and o.id == seed_id)
    assert seen.sha == hub.source.sha(seed)


def test_crawl_up_through_a_declared_cycle_ends(synthetic_hub: ReplayServer) -> None:
    cycle = httpx.get(f"{synthetic_hub.url}/_replay/health").json()["cycles"][0]
    with HubSource(CrawlerSettings(endpoint=synthetic_hub.url)) as source:
        observations = list(source.iter_observations(cycle[0], up=True))
    assert {o.id for o in observations if isinstance(o, ModelSeen)} >= set(cycle)


def test_crawl_of_a_real_model_sees_its_real_base_and_no_licence(topology_hub: ReplayServer) -> None:
    model = "mistralai/Mistral-Small-3.1-24B-Instruct-2503"
    with HubSource(CrawlerSettings(endpoint=topology_hub.url)) as source:
        observations = list(source.iter_observations(model, up=True))
    edges = {(o.child_id, o.parent_id) for o in observations if isinstance(o, DerivationSeen)}
    assert (model, "mistralai/Mistral-Small-3.1-24B-Base-2503") in edges
    assert all(o.declared_license is None for o in observations if isinstance(o, ModelSeen))


def test_lineage_hub_serve_scale_from_the_command_line() -> None:
    port = free_port()
    command = [sys.executable, "-m", "lineage.cli", "hub", "serve", "--scale", "synthetic", "--models", "5000",
               "--seed", "3", "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_replay/health").json()
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert (health["kind"], health["models"], health["seed"]) == ("synthetic", 5000, 3)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
