"""Benchmark: recompute propagation after a licence change at a big root; family aggregates.

    python -m bench.propagation_recompute [--port 17935] [--state-dir var/propbench] [--models 715000]

Starts its own Neo4j (``lineage.stack``, own port and data folder, kept between runs), loads
the synthetic hub-shaped graph through the bench loader when it is not there yet
(``bench.synth`` + ``bench.load``, the real writer), then measures:

1. **recompute after a licence change** at the root with the most descendants (about
   100,000 for 715,000 models): a new observation of the root with another licence and a
   later ``observed_at`` goes through ``GraphWriter``, then ``recompute_affected([root])``
   finds the descendants, loads them with their ancestors, runs the engine and stores every
   result in this process — timed end to end (the write of the observation excluded),
   ``--changes`` times with alternating licences; goal under 10 s;
2. **aggregates** over the family of the root with about 50,000 descendants, from the
   materialised results: ``family_aggregate`` (conflict counts by rule and severity, term
   flow, licences reached …) and ``relicensing_points``, ``--calls`` times each, p50/p99;
   goal under 300 ms.

Both families are materialised first (``recompute_affected`` on each root, untimed except as
"initial"). Prints one JSON document with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from neo4j import Driver

from bench.load import load
from bench.synth import T0, SynthGraph
from crawler.observations import DeclaredLicense, ModelSeen, Source
from graph.db import sync_driver
from graph.results.aggregates import family_aggregate, relicensing_points
from graph.results.recompute import MaterialiseReport, recompute_affected
from graph.schema import ensure_schema
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter
from lineage.stack import Neo4jServer, StackSettings

__all__ = ["main"]

LICENCES = ("llama3.1", "gemma", "cc-by-nc-4.0", "apache-2.0")


def _server(state_dir: Path, port: int, heap_mb: int, pagecache_mb: int) -> Neo4jServer:
    return Neo4jServer(StackSettings(
        state_dir=state_dir, neo4j_port=port, neo4j_heap_mb=heap_mb, neo4j_pagecache_mb=pagecache_mb,
        neo4j_start_timeout_s=300,
    ))


def _count_models(driver: Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (m:Model) RETURN count(m) AS n")
    return int(records[0]["n"])


def _descendants(driver: Driver, model_id: str) -> int:
    records, _, _ = driver.execute_query(
        "MATCH (m:Model {id: $id}) RETURN COUNT { (m)<-[:HAS_ANCESTOR]-() } AS n", {"id": model_id}
    )
    return int(records[0]["n"])


def _phases(report: MaterialiseReport) -> dict[str, Any]:
    return {
        "seconds": round(report.seconds, 3), "stored": report.computed, "cleared": report.cleared,
        "view_models": report.view_models, "read_round_trips": report.round_trips,
        "write_transactions": report.transactions, "load_s": round(report.load_seconds, 3),
        "compute_s": round(report.compute_seconds, 3), "write_wait_s": round(report.write_wait_seconds, 3),
    }


def _cpu(server_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by this process and by the Neo4j server."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    server = 0.0
    if server_pid is not None:
        fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return {"python": own.ru_utime + own.ru_stime, "neo4j": server}


def _timed(calls: int, fn: Any) -> dict[str, float]:
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {
        "calls": calls, "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1), "max_ms": round(times[-1], 1),
    }


def _change_licence(driver: Driver, model_id: str, licence: str, step: int) -> None:
    observed = T0 + timedelta(days=30 + step)
    source = Source(f"https://huggingface.co/api/models/{model_id}", f"bench-{step}", observed)
    seen = ModelSeen(id=model_id, source=source, author=model_id.split("/")[0],
                     declared_license=DeclaredLicense(licence), pipeline_tag="text-generation")
    GraphWriter(driver).write([seen], run_id=f"bench-licence-{step}", full_models=())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=17935)
    parser.add_argument("--state-dir", type=Path, default=Path("var/propbench"))
    parser.add_argument("--heap-mb", type=int, default=3072)
    parser.add_argument("--pagecache-mb", type=int, default=3072)
    parser.add_argument("--models", type=int, default=715_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--changes", type=int, default=3, help="licence changes measured at the big root")
    parser.add_argument("--calls", type=int, default=50, help="aggregate calls measured")
    parser.add_argument("--skip-initial", action="store_true", help="families are already materialised")
    parser.add_argument("--stop", action="store_true", help="stop the benchmark Neo4j at the end")
    parser.add_argument("--out", type=Path, help="write the JSON figures to this file (also printed)")
    args = parser.parse_args()

    server = _server(args.state_dir, args.port, args.heap_mb, args.pagecache_mb)
    status = server.start()
    settings = Neo4jSettings(uri=server.url)
    driver = sync_driver(settings)

    def recompute(root: str) -> MaterialiseReport:
        return recompute_affected(driver, [root])

    out: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(), "neo4j": server.url, "load_average_start": os.getloadavg(),
    }
    try:
        ensure_schema(driver)
        graph = SynthGraph.generate(args.models, args.seed)
        have = _count_models(driver)
        if have < args.models:
            print(f"loading {args.models - have} models …", file=sys.stderr)
            loaded = load(driver, graph, progress=lambda done, s: print(f"  {done} models, {s:.0f}s", file=sys.stderr))
            out["load"] = {"models": loaded.models, "seconds": round(loaded.writer_seconds, 1)}
        out["models"] = _count_models(driver)
        counts = graph.descendant_counts()
        by_size = sorted(graph.roots, key=lambda r: -counts.get(graph.models[r].family, 0))
        big = graph.models[by_size[0]].id
        mid = graph.models[by_size[1]].id
        out["big_root"] = {"id": big, "descendants": _descendants(driver, big)}
        out["family_root"] = {"id": mid, "descendants": _descendants(driver, mid)}
        if not args.skip_initial:
            out["initial"] = {root: _phases(recompute(root)) for root in (big, mid)}

        changes = []
        for step in range(args.changes):
            licence = LICENCES[step % len(LICENCES)]
            _change_licence(driver, big, licence, step)
            load_avg = os.getloadavg()
            cpu_before = _cpu(status.pid)
            report = recompute(big)
            cpu = {k: round(v - cpu_before[k], 2) for k, v in _cpu(status.pid).items()}
            changes.append({"licence": licence, "load_average": load_avg, "cpu_s": cpu, **_phases(report)})
            print(f"licence → {licence}: {report.seconds:.2f}s for {report.computed} models", file=sys.stderr)
        out["recompute_after_licence_change"] = changes

        agg = family_aggregate(driver, mid)
        assert agg is not None
        out["family_aggregate_shape"] = {
            "descendants": agg.descendants, "unmaterialised": agg.unmaterialised,
            "rules": len(agg.conflicts_by_rule), "terms": len(agg.term_flow),
            "conflicts": sum(r.conflicts for r in agg.conflicts_by_rule),
        }
        out["family_aggregate"] = _timed(args.calls, lambda: family_aggregate(driver, mid))
        out["relicensing_points"] = _timed(args.calls, lambda: relicensing_points(driver, mid))
        out["load_average_end"] = os.getloadavg()
    finally:
        driver.close()
        if args.stop and status.started:
            server.stop()
    text = json.dumps(out, indent=1, default=str)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
