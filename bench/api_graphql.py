"""GraphQL API benchmark over HTTP (uvicorn) on the loaded 1,000,000-model synthetic graph.

    python -m bench.api_graphql --uri bolt://127.0.0.1:17691 [--prepare] [--port 18741]

Uses the database ``bench.load`` filled (``python -m bench.server start`` serves it) and measures,
against a real uvicorn process serving ``api.main:app`` (``--workers``, default one; uvloop, httptools):

1. ``model(id) { ancestors { models { depth model { id } } paths } effectiveTerms {…} conflicts {…} }``
   for random models at depth 5 — one client, ``--calls`` sequential requests (after a warm-up):
   p50 / p95 / p99; goal p50 ≤ 15 ms, p99 ≤ 60 ms;
2. the same query from ``--concurrency`` clients for ``--seconds``: requests per second and
   latency; goal ≥ 300 requests/s with 16 clients. The CPU time the API, the client and the
   bench Neo4j spent per request is measured too (``/proc``), since on a shared machine the
   wall-clock rate mostly says how much CPU the others left;
3. the dashboard's ``propagation(root: …)`` query (every aggregate, deployments reached and a
   300-node drawing) for the root with about 50,000 descendants, ``--prop-calls`` times; goal
   ≤ 300 ms. Also the aggregates alone (no drawing, no deployments).

``--prepare`` first materialises the propagation results the API reads (the store, as
``lineage propagate`` does): the sampled depth-5 models and every model of the big family
(``graph.results.recompute``). It only adds ``eff_*`` properties to those models.
Prints one JSON document and saves it to ``var/bench/api_graphql.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from graph.db import sync_driver
from graph.results.recompute import materialise, recompute_affected
from graph.settings import Neo4jSettings

__all__ = ["main"]

MODEL_QUERY = """query Bench($id: ID!) { model(id: $id) { id
  ancestors { models { depth model { id } } paths }
  effectiveTerms { termId kind licenseId fromModel path }
  conflicts { ruleId severity message path licenses } } }"""

PROPAGATION_QUERY = (
    "query DashboardPropagation($root: ID, $license: String, $term: String, $asOf: DateTime, $limit: Int) "
    "{ propagation(root: $root, license: $license, term: $term, asOf: $asOf) { scope totalModels byDepth { depth count } "
    "byRelation { relation count } termFlow { termId kind keep drop violate } topRelicensingPoints { parent { id } "
    "child { id } droppedTerms fromLicense toLicense downstreamCount } conflictsByRule { ruleId severity count } "
    "deploymentsReached { id kind modelId operator status url } graph(limit: $limit) { truncated nodes { id depth "
    "licenseId conflictState status } edges { child parent relation } } } }"
)

AGGREGATES_QUERY = """query($root: ID!) { propagation(root: $root) { scope source totalModels byDepth { depth count }
  byRelation { relation count } termFlow { termId kind keep drop violate }
  topRelicensingPoints { parent { id } child { id } droppedTerms downstreamCount } conflictsByRule { ruleId severity count } } }"""

DEPTH5 = """
MATCH (x:Model)-[k:HAS_ANCESTOR]->(:Model)
WHERE k.depth = 5
RETURN DISTINCT x.id AS id
LIMIT $limit
"""

BIG_ROOT = """
MATCH (m:Model)
WHERE NOT EXISTS { (m)-[r:DERIVED_FROM]->() WHERE r.valid_to IS NULL }
WITH m, COUNT { (m)<-[:HAS_ANCESTOR]-() } AS n
WHERE n >= 30000 AND n <= 80000
RETURN m.id AS id, n ORDER BY abs(n - 50000) LIMIT 1
"""

UNMATERIALISED = """
MATCH (m:Model {id: $id})
RETURN COUNT { (m)<-[:HAS_ANCESTOR]-(x:Model) WHERE x.eff_version IS NULL } + (CASE WHEN m.eff_version IS NULL THEN 1 ELSE 0 END) AS n
"""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _summary(ms: list[float]) -> dict[str, float]:
    return {
        "calls": len(ms),
        "p50": round(_pct(ms, 50), 2),
        "p95": round(_pct(ms, 95), 2),
        "p99": round(_pct(ms, 99), 2),
        "max": round(max(ms), 2),
        "mean": round(statistics.fmean(ms), 2),
    }


def _cpu_seconds(pid: int, *, tree: bool = False) -> float:
    """User + system CPU time of a process so far (Linux /proc); with ``tree``, plus its live children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if tree:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        for child in children.read_text().split() if children.exists() else ():
            total += _cpu_seconds(int(child), tree=True)
    return total


def _neo4j_pid(uri: str) -> int | None:
    """The pid of the bench Neo4j (bench.server writes it next to its data) when it serves ``uri``."""
    pid_file = Path("var/bench/neo4j/neo4j.pid")
    if not uri.endswith(":17691") or not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip())
    return pid if Path(f"/proc/{pid}").exists() else None


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _pick(uri: str, samples: int, seed: int) -> tuple[list[str], str, int]:
    driver = sync_driver(Neo4jSettings(uri=uri))
    try:
        with driver.session() as session:
            ids = [str(r["id"]) for r in session.run(DEPTH5, limit=samples * 10)]
            root = session.run(BIG_ROOT).single()
    finally:
        driver.close()
    if not ids or root is None:
        raise SystemExit("the graph has no depth-5 model or no root with 30k-80k descendants: load it with bench.load")
    rnd = random.Random(seed)
    return sorted(rnd.sample(ids, min(samples, len(ids)))), str(root["id"]), int(root["n"])


def _prepare(uri: str, models: list[str], root: str) -> dict[str, Any]:
    driver = sync_driver(Neo4jSettings(uri=uri))
    try:
        began = time.perf_counter()
        sampled = materialise(driver, models)
        with driver.session() as session:
            missing = int(session.run(UNMATERIALISED, id=root).single()["n"])  # type: ignore[index]
        family = recompute_affected(driver, [root]) if missing else None
        return {
            "sampled_models_materialised": sampled.computed,
            "family_models_materialised": None if family is None else family.computed,
            "seconds": round(time.perf_counter() - began, 1),
        }
    finally:
        driver.close()


def _start_api(uri: str, port: int, redis_url: str, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEO4J_URI": uri, "REDIS_URL": redis_url}
    argv = [
        sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log",
        "--workers", str(workers),
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("uvicorn did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """SIGTERM, then SIGKILL if the server has not stopped within ``timeout_s``."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def write_result(result: dict[str, Any], out: Path) -> None:
    """Save a run's figures as JSON (the file named in RESULTS.md) and print them."""
    text = json.dumps(result, indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(text)


def _post(client: httpx.Client, query: str, variables: dict[str, Any]) -> float:
    began = time.perf_counter()
    answer = client.post("/graphql", json={"query": query, "variables": variables})
    elapsed = (time.perf_counter() - began) * 1000
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise SystemExit(f"the API answered an error: {answer.status_code} {str(body)[:500]}")
    return elapsed


def _sequential(base: str, models: list[str], calls: int, warmup: int, seed: int) -> list[float]:
    rnd = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(warmup):
            _post(client, MODEL_QUERY, {"id": rnd.choice(models)})
        return [_post(client, MODEL_QUERY, {"id": rnd.choice(models)}) for _ in range(calls)]


async def _concurrent(
    base: str, models: list[str], clients: int, seconds: float, seed: int, pids: dict[str, int]
) -> dict[str, Any]:
    rnd = random.Random(seed)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def worker(stop: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                began = time.perf_counter()
                answer = await client.post("/graphql", json={"query": MODEL_QUERY, "variables": {"id": rnd.choice(models)}})
                if answer.status_code != 200 or answer.json().get("errors"):
                    errors += 1
                if record:
                    latencies.append((time.perf_counter() - began) * 1000)

        await asyncio.gather(*(worker(time.perf_counter() + 3, False) for _ in range(clients)))  # warm-up
        cpu_before = {name: _cpu_seconds(pid, tree=name == "api") for name, pid in pids.items()}
        began = time.perf_counter()
        await asyncio.gather(*(worker(began + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - began
        cpu = {name: _cpu_seconds(pid, tree=name == "api") - cpu_before[name] for name, pid in pids.items()}
    per_request = {f"{name}_cpu_ms_per_request": round(v * 1000 / max(1, len(latencies)), 2) for name, v in cpu.items()}
    return {
        **per_request,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "latency_ms": _summary(latencies),
    }


def _propagation(base: str, root: str, calls: int, warmup: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=120) as client:
        full_vars = {"root": root, "limit": 300}
        for _ in range(warmup):
            _post(client, PROPAGATION_QUERY, full_vars)
            _post(client, AGGREGATES_QUERY, {"root": root})
        full = [_post(client, PROPAGATION_QUERY, full_vars) for _ in range(calls)]
        aggregates = [_post(client, AGGREGATES_QUERY, {"root": root}) for _ in range(calls)]
        shape = client.post("/graphql", json={"query": AGGREGATES_QUERY, "variables": {"root": root}}).json()
    data = shape["data"]["propagation"]
    return {
        "dashboard_query_ms": _summary(full),
        "aggregates_only_ms": _summary(aggregates),
        "source": data["source"],
        "total_models": data["totalModels"],
        "terms_in_flow": len(data["termFlow"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17691")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--port", type=int, default=18741)
    parser.add_argument("--samples", type=int, default=2000, help="depth-5 models drawn (and materialised)")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--prop-calls", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--prepare", action="store_true", help="materialise the results the API reads first")
    parser.add_argument("--out", type=Path, default=Path("var/bench/api_graphql.json"))
    args = parser.parse_args()

    models, root, family = _pick(args.uri, args.samples, args.seed)
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "uri": args.uri,
        "sampled_depth5_models": len(models),
        "root": root,
        "root_descendants": family,
        "loadavg_start": _loadavg(),
    }
    if args.prepare:
        result["prepare"] = _prepare(args.uri, models, root)
    api = _start_api(args.uri, args.port, args.redis_url, args.workers)
    result["uvicorn_workers"] = args.workers
    base = f"http://127.0.0.1:{args.port}"
    try:
        single = _sequential(base, models, args.calls, args.warmup, args.seed)
        result["model_one_client_ms"] = _summary(single)
        result["loadavg_after_one_client"] = _loadavg()
        pids = {"api": api.pid, "client": os.getpid()}
        neo4j_pid = _neo4j_pid(args.uri)
        if neo4j_pid is not None:
            pids["neo4j"] = neo4j_pid
        result["model_concurrent"] = asyncio.run(
            _concurrent(base, models, args.concurrency, args.seconds, args.seed, pids)
        )
        result["loadavg_after_concurrent"] = _loadavg()
        result["propagation_root"] = _propagation(base, root, args.prop_calls, 3)
        result["loadavg_end"] = _loadavg()
    finally:
        stop_server(api)
    write_result(result, args.out)


if __name__ == "__main__":
    main()
