"""Crawls through real workers: worker processes, synthetic families, waiting for jobs, graph fingerprints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver

from crawler.observations import ModelSeen, ModelStatus
from crawler.settings import CrawlerSettings
from hubreplay.snapshot.synthetic import SyntheticSpec, generate
from crawler.source import HubSource
from workers.app import create_app
from workers.client import CrawlClient
from workers.contract import JobSnapshot
from workers.queues import Queue
from workers.settings import WorkerSettings

from tests.support.stack import WIPE

__all__ = [
    "WorkerProcs",
    "available_models",
    "crawl_env",
    "direct_crawl",
    "family",
    "graph_fingerprint",
    "wait_for",
    "wait_job",
    "wipe_graph",
]

ALL_QUEUES = ",".join(q.value for q in Queue)


def family(folder: Path, models: int, seed: int) -> Path:
    """A synthetic hub-shaped family (generated once per folder)."""
    if not (folder / "manifest.json").exists():
        generate(folder, SyntheticSpec(models=models, seed=seed))
    return folder


def crawl_env(redis_url: str, neo4j_uri: str, rates: Mapping[str, float], **extra: str) -> dict[str, str]:
    """The environment of a test worker: its Redis and Neo4j, fast retries, the hubs' shared rates."""
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "NEO4J_URI": neo4j_uri,
        "LINEAGE_HUB_RATE_LIMITS": json.dumps(
            {url: {"rate": rate, "burst": max(1, min(int(rate), 200))} for url, rate in rates.items()}
        ),
        "LINEAGE_CRAWLER_BACKOFF_BASE_S": "0.05",
        "LINEAGE_CRAWLER_BACKOFF_MAX_S": "0.5",
        "LINEAGE_CRAWL_RETRY_BACKOFF_MAX_S": "2",
        "LINEAGE_CRAWL_FRESH_FOR_S": "0",
        "LINEAGE_CRAWL_PROPAGATE": "0",
    }
    env.update(extra)
    env.pop("HF_ENDPOINT", None)
    return env


@dataclass
class WorkerProcs:
    """Celery worker processes started (and stopped) by a test."""

    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *, queues: str = ALL_QUEUES, concurrency: int = 4, beat: bool = False) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--pool=threads",
            f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            f"--queues={queues}", f"--hostname={name}@%h",
        ]
        if beat:
            argv += ["--beat", f"--schedule={self.logs / (name + '-beat-schedule')}"]
        with (self.logs / f"{name}.log").open("ab") as out:
            self.procs[name] = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=self.env)

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        app = create_app(WorkerSettings(redis_url=self.env["REDIS_URL"]))
        deadline = time.monotonic() + timeout_s
        names = set(self.procs)
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"worker {name} exited: {self.log_tail(name)}")
            answered = {next(iter(reply)).split("@", 1)[0] for reply in app.control.ping(timeout=1.0)}
            if names <= answered:
                return
        raise RuntimeError(f"workers {names} did not answer within {timeout_s}s")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no acknowledgement of what the worker was doing."""
        proc = self.procs.pop(name)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs.clear()

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def wait_for(predicate: Any, timeout_s: float, interval_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)


def wait_job(client: CrawlClient, job_id: str, timeout_s: float = 120.0) -> JobSnapshot:
    """The job's report once it has finished (no unit outstanding)."""
    deadline = time.monotonic() + timeout_s
    while True:
        snapshot = client.job(job_id)
        assert snapshot is not None, f"job {job_id} vanished"
        if snapshot.finished:
            return snapshot
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still running after {timeout_s}s: {snapshot.to_dict()}")
        time.sleep(0.25)


def direct_crawl(endpoint: str, seeds: Iterable[str], *, up: bool, down: int) -> dict[str, ModelStatus]:
    """What one HubSource in this process reads for the same crawl: model id → status (the oracle)."""
    seen: dict[str, ModelStatus] = {}
    with HubSource(CrawlerSettings(endpoint=endpoint, max_children_models=1_000_000)) as source:
        for seed in seeds:
            for observation in source.iter_observations(seed, up=up, down=down):
                if isinstance(observation, ModelSeen):
                    seen[observation.id] = observation.status
    return seen


def available_models(driver: Driver) -> set[str]:
    records, _, _ = driver.execute_query("MATCH (m:Model {status: 'available'}) RETURN m.id AS id")
    return {str(r["id"]) for r in records}


def wipe_graph(driver: Driver) -> None:
    with driver.session(database="neo4j") as session:
        session.run(WIPE).consume()


# Provenance that differs between two crawls of the same hub by nature: times and run ids, and
# where the latest sighting came from — a shared node (a licence, a publisher) keeps the URL and
# revision of whichever observation of it was written last, and a merge child listed under
# several parents is read from whichever listing claims it first. Facts (ids, properties, shas,
# relations, evidence kinds and details, confidences) are all compared.
_VOLATILE = {"first_seen", "last_seen", "valid_from", "valid_to", "observed_at", "last_full_at", "unavailable_at",
             "status_valid_from", "gate_valid_from", "stale_since", "last_run", "stale_run", "source_url", "url",
             "revision", "closure_dirty", "listed_at", "crawled_at", "last_full_run",
             "validFrom", "licenseValidFrom"}  # (change records: the valid time of an observed fact)


def _stable(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return _stable(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if hasattr(value, "iso_format"):
        return "<time>"
    return value


def change_content(row: Any) -> dict[str, Any]:
    """A node row as compared; a change record by its content (kind, model, details …): its id, batch and times
    differ between two runs that record the same change, and whether it was dispatched yet is bookkeeping."""
    labels = list(row["labels"])
    if "Change" not in labels:
        return dict(row)
    props = {k: v for k, v in dict(row["props"]).items() if k not in ("id", "batch", "recorded_at", "dispatched_at")}
    return {**dict(row), "labels": ["Change"], "key": f"{props.get('kind')} {props.get('model_id')}", "props": props}


def _props(props: Mapping[str, Any]) -> str:
    return json.dumps(_stable(dict(props)), sort_keys=True, default=str)


def graph_fingerprint(driver: Driver) -> tuple[list[str], list[str]]:
    """Every node and relationship with its properties, times and run ids left out, sorted."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, coalesce(n.id, n.sha256) AS key, properties(n) AS props"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.id, a.sha256) AS a, coalesce(b.id, b.sha256) AS b, "
        "properties(r) AS props"
    )
    node_lines = sorted(f"{sorted(r['labels'])} {r['key']} {_props(r['props'])}" for r in map(change_content, nodes))
    rel_lines = sorted(f"{r['type']} {r['a']} -> {r['b']} {_props(r['props'])}" for r in rels)
    return node_lines, rel_lines
