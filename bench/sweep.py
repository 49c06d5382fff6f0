"""Sweep benchmark: the whole synthetic scale hub listed into the graph, then a day of churn, then reads.

    python -m bench.sweep [--models 3000000] [--seed 7] [--changes 10000] [--workers 1] [--concurrency 4]
                          [--calls 300] [--out var/bench/sweep.json]

Starts its own Redis and Neo4j (free ports, data in a temporary folder; ``--neo4j-heap-mb``,
``--neo4j-pagecache-mb``), serves the synthetic scale hub (``hubreplay.scale``) in this process,
starts ``--workers`` Celery worker processes (all queues), and measures through ``workers.client``:

1. a full sweep into an empty graph: hub requests (the replay hub's own counter), models written,
   seconds until the graph is written (models, edges, licences, evidence, ancestry index) and
   models per second;
2. propagation materialised for every model (``workers.propagation_fanout.recompute_all_models``,
   the propagation workers' Celery group of pages): seconds;
3. a day of churn on the hub (``POST /_replay/changes``: new, changed, relicensed and deleted
   models), then an incremental sweep: hub requests and seconds until its job is done (written and
   the propagation of what changed recomputed);
4. reads on the swept graph: ``ancestors`` of deep models, a ``descendants`` page of the largest
   root, ``models(search: "llama")`` — p50 / p99 over ``--calls`` calls each, through ``graph.reads``.

Prints and saves the figures with the load average before and after each step.

``--list-only``: no graph, no workers — only walk every page of the listing the way a sweep's page
units do (``HubClient.models_page`` + ``crawler.listing.read_page``, in this process): the requests
a full sweep costs and how fast the hub and the listing reader go.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.crawl_efficiency import _cpu_s, _stack, _start_workers

__all__ = ["main"]


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _wait(client: Any, job_id: str, poll_s: float = 1.0) -> tuple[Any, list[tuple[float, int, int, int]]]:
    started = time.perf_counter()
    timeline = []
    while True:
        snap = client.job(job_id)
        c = snap.counters
        timeline.append((round(time.perf_counter() - started, 1), c["models_seen"], c["models_written"], snap.pending))
        if snap.finished:
            return snap, timeline[:: max(1, len(timeline) // 40)]
        time.sleep(poll_s)


def _sweep(name: str, client: Any, hub: Any, pids: dict[str, int], *, full: bool) -> dict[str, Any]:
    hub.stats.reset()
    load_before = _load()
    cpu_before = {k: _cpu_s(p) for k, p in pids.items()}
    started = time.perf_counter()
    job_id = client.request_sweep(full=full, endpoint=hub.url)
    snap, timeline = _wait(client, job_id)
    seconds = time.perf_counter() - started
    c = snap.counters
    return {
        "run": name, "job": job_id, "seconds": round(seconds, 1), "hub_requests": hub.stats.snapshot()["total"],
        "pages": c["pages_listed"], "models_seen": c["models_seen"], "models_written": c["models_written"],
        "skipped_unchanged": c["skipped_unchanged"], "marked_stale": c["marked_stale"],
        "models_per_s": round(c["models_seen"] / seconds, 1) if seconds else None,
        "problems_by_kind": snap.problems_by_kind,
        "cpu_s": {k: round(_cpu_s(p) - cpu_before[k], 1) for k, p in pids.items()},
        "load_before": load_before, "load_after": _load(), "timeline_s_seen_written_pending": timeline,
    }


def _list_only(hub: Any, page_size: int) -> dict[str, Any]:
    from datetime import UTC, datetime

    from crawler.hubclient import HubClient
    from crawler.listing import read_page
    from crawler.settings import CrawlerSettings
    from workers.sweepjob import listing_params

    client = HubClient(CrawlerSettings(endpoint=hub.url))
    hub.stats.reset()
    load_before, started = _load(), time.perf_counter()
    url: str | None = client.models_listing_url(listing_params(page_size))
    pages = models = observations = 0
    while url:
        page = client.models_page(url)
        listed = read_page(page, datetime.now(UTC))
        pages, models, observations = pages + 1, models + len(listed.model_ids), observations + len(listed.observations)
        url = page.next_url
    seconds = time.perf_counter() - started
    return {"pages": pages, "models": models, "observations": observations, "client_requests": client.requests,
            "hub_requests": hub.stats.snapshot()["total"], "seconds": round(seconds, 1),
            "models_per_s": round(models / seconds, 1), "load_before": load_before, "load_after": _load()}


def _reads(driver: Any, calls: int, seed: int) -> dict[str, Any]:
    from graph import reads
    from graph.reads.search import ModelFilters, plan_search
    from graph.reads.plan import run as run_plan

    rng = random.Random(seed)
    deep, _, _ = driver.execute_query(
        "MATCH (m:Model)-[k:HAS_ANCESTOR]->() WHERE k.depth >= 3 RETURN DISTINCT m.id AS id LIMIT 2000"
    )
    deep_ids = [r["id"] for r in deep] or ["none"]
    top, _, _ = driver.execute_query(
        "MATCH (r:Model)<-[:DERIVED_FROM]-(c) WITH r, count(c) AS n ORDER BY n DESC LIMIT 1 RETURN r.id AS id, n"
    )
    root = top[0]["id"]

    def timed(fn: Any) -> dict[str, float]:
        for _ in range(min(50, calls)):
            fn()
        samples = []
        for _ in range(calls):
            began = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - began) * 1000)
        return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(_pct(samples, 99), 2),
                "max_ms": round(max(samples), 2)}

    return {
        "load_before": _load(),
        "ancestors": timed(lambda: reads.ancestors(driver, rng.choice(deep_ids))),
        "descendants_page": timed(lambda: reads.descendants(driver, root, limit=100)),
        "search_llama": timed(lambda: run_plan(driver, plan_search(ModelFilters(search="llama"), limit=50), None)),
        "largest_root": {"id": root, "direct_children": top[0]["n"]},
        "load_after": _load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--graph-concurrency", type=int, default=2)
    parser.add_argument("--layout", choices=("mixed", "split"), default="mixed")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--neo4j-heap-mb", type=int, default=4096)
    parser.add_argument("--neo4j-pagecache-mb", type=int, default=4096)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--neo4j-uri", default=None)
    parser.add_argument("--loglevel", default="WARNING")
    parser.add_argument("--skip-propagation", action="store_true")
    parser.add_argument("--list-only", action="store_true", help="only walk the listing (no graph, no workers)")
    parser.add_argument("--out", type=Path, default=Path("var/bench/sweep.json"))
    args = parser.parse_args()

    from graph.db import sync_driver
    from graph.schema import ensure_schema
    from graph.settings import Neo4jSettings
    from hubreplay.scale.settings import ScaleSettings
    from hubreplay.serve.server import serve_scale_in_thread
    from workers.client import CrawlClient
    from workers.settings import WorkerSettings

    figures: dict[str, Any] = {"models": args.models, "seed": args.seed, "machine": platform.platform(),
                               "cpus": os.cpu_count(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    began = time.perf_counter()
    with serve_scale_in_thread(ScaleSettings(kind="synthetic", models=args.models, seed=args.seed)) as hub:
        figures["hub_startup_s"] = round(time.perf_counter() - began, 1)
        if args.list_only:
            figures["listing"] = _list_only(hub, 1000)
            print(json.dumps(figures["listing"]))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(figures, indent=2, default=str))
            return
        with tempfile.TemporaryDirectory(prefix="lineage-bench-sweep-") as tmp, _stack(args, Path(tmp)) as (
            redis_url, neo4j_uri, pids,
        ):
            env = {**os.environ, "REDIS_URL": redis_url, "NEO4J_URI": neo4j_uri, "LINEAGE_SWEEP_EVERY_S": "0",
                   "LINEAGE_HUB_RATE_LIMITS": json.dumps({hub.url: {"rate": 100_000, "burst": 1000}}),
                   "LINEAGE_CRAWL_PROPAGATE": "0"}
            with sync_driver(Neo4jSettings(uri=neo4j_uri, password=None)) as driver:
                ensure_schema(driver)
                procs = _start_workers(args, env, Path(tmp) / "logs")
                for index, proc in enumerate(procs):
                    pids[f"worker{index}"] = proc.pid
                try:
                    client = CrawlClient(WorkerSettings(redis_url=redis_url))
                    figures["full_sweep"] = full = _sweep("full", client, hub, pids, full=True)
                    print(json.dumps({k: v for k, v in full.items() if k != "timeline_s_seen_written_pending"}))
                    if not args.skip_propagation:
                        from workers.app import app as celery_app
                        from workers.propagation_fanout import recompute_all_models

                        celery_app.conf.update(broker_url=redis_url, result_backend=redis_url)

                        load_before, started = _load(), time.perf_counter()
                        report = recompute_all_models(driver)
                        figures["propagation_all"] = {"seconds": round(time.perf_counter() - started, 1),
                                                      "computed": report.computed, "load_before": load_before,
                                                      "load_after": _load()}
                        print(json.dumps(figures["propagation_all"]))
                    applied = httpx.post(f"{hub.url}/_replay/changes", json={"models": args.changes, "seed": 1},
                                         timeout=120).json()
                    figures["changes"] = {"applied": applied.get("applied"), "lastModified": applied.get("lastModified")}
                    env["LINEAGE_CRAWL_PROPAGATE"] = "1"  # (workers read it per job step: restart them)
                    for proc in procs:
                        proc.terminate()
                    for proc in procs:
                        proc.wait(60)
                    procs = _start_workers(args, env, Path(tmp) / "logs2")
                    for index, proc in enumerate(procs):
                        pids[f"worker{index}"] = proc.pid
                    figures["incremental_sweep"] = inc = _sweep("incremental", client, hub, pids, full=False)
                    print(json.dumps({k: v for k, v in inc.items() if k != "timeline_s_seen_written_pending"}))
                    figures["reads"] = _reads(driver, args.calls, args.seed)
                    print(json.dumps(figures["reads"]))
                finally:
                    for proc in procs:
                        proc.terminate()
                    for proc in procs:
                        try:
                            proc.wait(60)
                        except Exception:  # noqa: BLE001 - best effort at the end of a benchmark
                            proc.kill()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, default=str))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
