"""Crawl efficiency: a downward crawl of a synthetic 10,000-model family through the real pipeline.

    python -m bench.crawl_efficiency [--models 10000] [--down 6] [--workers 2] [--concurrency 4]
                                     [--layout mixed|split] [--naive-sample 500] [--out var/bench/crawl.json]

Starts its own Redis and Neo4j (free ports, data in a temporary folder) unless ``--redis-url`` /
``--neo4j-uri`` are given, serves the synthetic family with the replay hub (in this process),
starts ``--workers`` Celery worker processes, and runs through ``workers.client``:

1. a cold crawl from the family's root (``--down`` levels, up to the root) into an empty graph;
2. the same crawl again (nothing changed on the hub: unchanged models are not rewritten);
3. the naive baseline: one ``model_info`` request per model (``HubSource.iter_model``, the
   per-model fetch a crawler without listings makes) on a sample, requests per model measured.

Reported: hub requests (replay hub counters, by route), models ingested (available models in the
graph), requests per model ingested, the ratio to the naive crawl, end-to-end models per second
(request to job done), the job timeline, and CPU seconds used by each process (workers, Neo4j,
Redis, this process with the replay hub) — which is what limits the throughput on a 2-core box.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["main"]

ROOT = "synthetic-org/Base-8B"
BACKGROUND_ROOT = "background-org/Other-7B"
_TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICK


@dataclass
class Run:
    name: str
    job_id: str
    seconds: float
    hub: dict[str, Any]
    counters: dict[str, int]
    problems: dict[str, int]
    models_ingested: int
    cpu_s: dict[str, float]
    timeline: list[tuple[float, int, int, int]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return int(self.hub["total"])

    def summary(self) -> dict[str, Any]:
        per_model = self.requests / self.models_ingested if self.models_ingested else None
        return {
            "run": self.name,
            "job": self.job_id,
            "seconds": round(self.seconds, 2),
            "models_ingested": self.models_ingested,
            "hub_requests": self.requests,
            "hub_requests_by_route": self.hub["by_route"],
            "requests_per_model": round(per_model, 4) if per_model is not None else None,
            "models_per_s": round(self.models_ingested / self.seconds, 1) if self.seconds else None,
            "job_counters": self.counters,
            "problems_by_kind": self.problems,
            "cpu_s": {k: round(v, 1) for k, v in self.cpu_s.items()},
            "timeline_s_seen_written_pending": self.timeline,
        }


@contextmanager
def _stack(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[str, str, dict[str, int]]]:
    from lineage.stack import Neo4jServer, RedisServer, StackSettings

    pids: dict[str, int] = {}
    with ExitStack() as stack:
        if args.redis_url and args.neo4j_uri:
            yield args.redis_url, args.neo4j_uri, pids
            return
        settings = StackSettings(
            state_dir=tmp / "stack", neo4j_port=_free_port(), redis_port=_free_port(),
            neo4j_heap_mb=args.neo4j_heap_mb, neo4j_pagecache_mb=getattr(args, "neo4j_pagecache_mb", 512),
        )
        redis_url = args.redis_url
        if not redis_url:
            redis = RedisServer(settings)
            status = redis.start()
            stack.callback(redis.stop)
            pids["redis"] = status.pid or 0
            redis_url = redis.url
        neo4j_uri = args.neo4j_uri
        if not neo4j_uri:
            neo4j = Neo4jServer(settings)
            status = neo4j.start()
            stack.callback(neo4j.stop)
            pids["neo4j"] = status.pid or 0
            neo4j_uri = neo4j.url
        yield redis_url, neo4j_uri, pids


def _start_workers(args: argparse.Namespace, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    layouts = {
        "mixed": [("hub,graph", args.concurrency)] * args.workers,
        "split": [("hub", args.concurrency), ("graph", args.graph_concurrency)][: args.workers],
    }
    procs = []
    for index, (queues, concurrency) in enumerate(layouts[args.layout]):
        logs.mkdir(parents=True, exist_ok=True)
        log = (logs / f"worker{index}.log").open("wb")
        argv = [
            sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--pool=threads",
            f"--concurrency={concurrency}", f"--loglevel={args.loglevel}", "--without-gossip", "--without-mingle",
            f"--queues={queues},maintenance,propagation", f"--hostname=bench{index}@%h",
        ]
        procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))
    from workers.app import create_app
    from workers.settings import WorkerSettings

    app = create_app(WorkerSettings(redis_url=env["REDIS_URL"]))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0)
        if len(replies) >= len(procs):
            return procs
    raise RuntimeError("workers did not answer a ping within 90 s")


def _crawl(name: str, client: Any, hub: Any, driver: Any, pids: dict[str, int], down: int, root: str = ROOT) -> Run:
    hub.stats.reset()
    before = {k: _cpu_s(p) for k, p in pids.items()}
    started = time.perf_counter()
    job_id = client.request_crawl([root], True, down, False, hub.url)
    timeline = []
    while True:
        snap = client.job(job_id)
        elapsed = time.perf_counter() - started
        c = snap.counters
        timeline.append((round(elapsed, 1), c["models_seen"], c["models_written"], snap.pending))
        if snap.finished:
            break
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    cpu = {k: _cpu_s(p) - before[k] for k, p in pids.items()}
    records, _, _ = driver.execute_query(
        "MATCH (m:Model {status: 'available'}) WHERE m.last_run = $job RETURN count(m) AS n", job=job_id
    )
    return Run(name, job_id, seconds, hub.stats.snapshot(), snap.counters, snap.problems_by_kind,
               int(records[0]["n"]), cpu, timeline[:: max(1, len(timeline) // 40)])


def _wipe(driver: Any) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def _naive(hub: Any, snapshot_ids: list[str], sample: int) -> dict[str, Any]:
    """One model_info per model (the crawler's iter_model, with its small-file probes for undeclared models)."""
    from crawler.settings import CrawlerSettings
    from crawler.source import HubSource

    chosen = random.Random(7).sample(snapshot_ids, min(sample, len(snapshot_ids)))
    hub.stats.reset()
    started = time.perf_counter()
    with HubSource(CrawlerSettings(endpoint=hub.url, memo_models=0)) as source:
        ingested = 0
        for model_id in chosen:
            for observation in source.iter_model(model_id):
                if type(observation).__name__ == "ModelSeen" and observation.status.value == "available":
                    ingested += 1
    seconds = time.perf_counter() - started
    requests = hub.stats.snapshot()["total"]
    return {
        "sample": len(chosen),
        "models_ingested": ingested,
        "hub_requests": requests,
        "requests_per_model": round(requests / ingested, 4) if ingested else None,
        "models_per_s_one_client": round(ingested / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--background", type=int, default=5_000, help="models of the family crawled beforehand")
    parser.add_argument("--down", type=int, default=6, help="levels below the root (the family is 6 deep)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker process")
    parser.add_argument("--layout", choices=("mixed", "split"), default="mixed",
                        help="mixed: every worker on hub+graph; split: one hub worker, one graph worker")
    parser.add_argument("--graph-concurrency", type=int, default=1, help="threads of the graph worker (split layout)")
    parser.add_argument("--expand-chunk", type=int, default=None, help="LINEAGE_CRAWL_EXPAND_CHUNK for the workers")
    parser.add_argument("--naive-sample", type=int, default=500)
    parser.add_argument("--loglevel", default="WARNING", help="log level of the workers (logs in crawl-logs/)")
    parser.add_argument("--propagate", action="store_true",
                        help="end each job with the propagation recompute (off: the crawl alone is measured)")
    parser.add_argument("--write-batch", type=int, default=None, help="LINEAGE_CRAWL_WRITE_BATCH for the workers")
    parser.add_argument("--snapshot", type=Path, default=Path("var/bench/synthetic-10k"))
    parser.add_argument("--redis-url")
    parser.add_argument("--neo4j-uri")
    parser.add_argument("--neo4j-heap-mb", type=int, default=1024)
    parser.add_argument("--out", type=Path, default=Path("var/bench/crawl_efficiency.json"))
    args = parser.parse_args()

    from hubreplay.serve import serve_in_thread
    from hubreplay.snapshot.store import Snapshot
    from hubreplay.snapshot.synthetic import SyntheticSpec, generate

    if not (args.snapshot / "manifest.json").exists():
        generate(args.snapshot, SyntheticSpec(models=args.models, seed=args.seed))
    background_dir = args.snapshot.with_name(args.snapshot.name + "-background")
    if not (background_dir / "manifest.json").exists():
        generate(background_dir, SyntheticSpec(models=args.background, seed=args.seed + 1, root=BACKGROUND_ROOT))
    snapshot = Snapshot.load(args.snapshot)
    with tempfile.TemporaryDirectory(prefix="lineage-crawl-bench-") as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        redis_url, neo4j_uri, pids = stack.enter_context(_stack(args, tmp))
        hub = stack.enter_context(serve_in_thread(snapshot))
        background_hub = stack.enter_context(serve_in_thread(background_dir))
        unlimited = {"rate": 100_000, "burst": 10_000}
        env = {
            **os.environ, "REDIS_URL": redis_url, "NEO4J_URI": neo4j_uri,
            "LINEAGE_HUB_RATE_LIMITS": json.dumps({hub.url: unlimited, background_hub.url: unlimited}),
        }
        env["LINEAGE_CRAWL_PROPAGATE"] = "1" if args.propagate else "0"
        if args.expand_chunk:
            env["LINEAGE_CRAWL_EXPAND_CHUNK"] = str(args.expand_chunk)
        if args.write_batch:
            env["LINEAGE_CRAWL_WRITE_BATCH"] = str(args.write_batch)
        os.environ.update({k: env[k] for k in ("REDIS_URL", "NEO4J_URI", "LINEAGE_HUB_RATE_LIMITS")})
        from graph.db import sync_driver
        from graph.schema import ensure_schema
        from graph.settings import Neo4jSettings
        from workers.client import CrawlClient
        from workers.settings import WorkerSettings

        driver = sync_driver(Neo4jSettings(uri=neo4j_uri))
        stack.callback(driver.close)
        ensure_schema(driver)
        _wipe(driver)
        procs = _start_workers(args, env, args.out.parent / "crawl-logs")

        def stop_workers() -> None:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()

        stack.callback(stop_workers)
        watched = {**pids, **{f"worker{i}": p.pid for i, p in enumerate(procs)}, "bench+replay_hub": os.getpid()}
        client = CrawlClient(WorkerSettings(redis_url=redis_url))
        # a graph is never empty: another family is crawled first (it also warms Neo4j's query plans and the
        # workers' connections); the family measured is then new to a graph that already holds that one
        warmup = _crawl("background family", client, background_hub, driver, watched, args.down, BACKGROUND_ROOT)
        cold = _crawl("cold", client, hub, driver, watched, args.down)
        print(json.dumps(cold.summary(), indent=1))
        warm = _crawl("unchanged", client, hub, driver, watched, args.down)
        print(json.dumps(warm.summary(), indent=1))
        ids = [e.id for e in snapshot.iter_models()]
        naive = _naive(hub, ids, args.naive_sample)
        print(json.dumps(naive, indent=1))
        result = {
            "command": " ".join(sys.argv),
            "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()}",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "family": {"models": len(ids), "root": ROOT},
            "workers": {"processes": len(procs), "threads_each": args.concurrency, "layout": args.layout},
            "background": {k: v for k, v in warmup.summary().items() if k != "timeline_s_seen_written_pending"},
            "cold": cold.summary(),
            "unchanged": warm.summary(),
            "naive": naive,
            "ratio_to_naive": round(cold.requests / cold.models_ingested / naive["requests_per_model"], 3)
            if cold.models_ingested and naive["requests_per_model"] else None,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
