"""GraphQL API under load, as deployed: ``lineage serve`` (N worker processes) on the 1M-model graph.

    python -m bench.api_load [--uri bolt://127.0.0.1:17691] [--workers 2] [--clients 16] [--seconds 30]

Uses the graph ``bench.load`` filled and ``bench.api_graphql --prepare`` materialised (the 2,000
sampled depth-5 models and the ~44k family of ``org593/Base-2``). Two servers are started in turn
with ``lineage serve --workers N`` (uvloop, httptools): one with the response cache off, one with it
on. Against each it times real HTTP requests from a lean keep-alive HTTP/1.1 client (pre-encoded
requests over asyncio streams, so the load generator's own CPU stays small on a 2-core machine):

cache off
  1. ``model(id) { ancestors effectiveTerms conflicts }`` (``bench.api_graphql.MODEL_QUERY``) for
     random sampled models, one client, ``--calls`` requests: p50/p99 (goal p50 ≤ 10 ms);
  2. the same from ``--clients`` clients for ``--seconds``: requests/s and p99 (goals ≥ 250/s, ≤ 60 ms);
  3. the dashboard's propagation view of the big family, ``--prop-calls`` times (goal ≤ 300 ms);
cache on
  4. the model query from ``--clients`` clients over a Zipf mix of the same models (goal ≥ 1,500/s);
  5. the dashboard's propagation view again (goal ≤ 20 ms).

CPU per request of the API processes, Neo4j and the client come from ``/proc``. Prints one JSON
document and saves it to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.api_graphql import (
    MODEL_QUERY,
    PROPAGATION_QUERY,
    _cpu_seconds,
    _loadavg,
    _neo4j_pid,
    _pick,
    _summary,
    stop_server,
    write_result,
)

__all__ = ["main"]


def _request(port: int, query: str, variables: dict[str, Any]) -> bytes:
    body = json.dumps({"query": query, "variables": variables}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


class Connection:
    """One keep-alive HTTP/1.1 connection that sends pre-encoded requests and reads whole answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def _ok(status: int, body: bytes) -> bool:
    return status == 200 and b'"errors"' not in body


def _start(port: int, uri: str, redis_url: str, workers: int, cache: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEO4J_URI": uri, "REDIS_URL": redis_url, "LINEAGE_RESPONSE_CACHE": "1" if cache else "0"}
    argv = [sys.executable, "-m", "lineage.cli", "serve", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 90

    async def healthy() -> bool:
        try:
            conn = await Connection.open(port)
        except OSError:
            return False
        try:
            conn.writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await conn.reader.readuntil(b"\r\n\r\n")
            return b" 200 " in head
        finally:
            conn.close()

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("lineage serve exited during start-up")
        if asyncio.run(healthy()):
            time.sleep(1.0)  # every worker process up
            return proc
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("lineage serve did not answer /healthz within 90 s")


async def _sequential(port: int, requests: list[bytes], warmup: int) -> list[float]:
    conn = await Connection.open(port)
    try:
        for request in requests[:warmup]:
            await conn.send(request)
        times = []
        for request in requests[warmup:]:
            began = time.perf_counter()
            status, body = await conn.send(request)
            times.append((time.perf_counter() - began) * 1000)
            if not _ok(status, body):
                raise SystemExit(f"the API answered an error: {status} {body[:300]!r}")
        return times
    finally:
        conn.close()


async def _concurrent(
    port: int, pick: Any, clients: int, seconds: float, pids: dict[str, int]
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    refused = 0

    async def worker(stop: float, record: bool) -> None:
        nonlocal errors, refused
        conn = await Connection.open(port)
        try:
            while time.perf_counter() < stop:
                request = pick()
                began = time.perf_counter()
                status, body = await conn.send(request)
                if status == 503:
                    refused += 1
                elif not _ok(status, body):
                    errors += 1
                elif record:
                    latencies.append((time.perf_counter() - began) * 1000)
        finally:
            conn.close()

    await asyncio.gather(*(worker(time.perf_counter() + 3, False) for _ in range(clients)))  # warm-up
    errors = refused = 0
    cpu_before = {name: _cpu_seconds(pid, tree=name == "api") for name, pid in pids.items()}
    began = time.perf_counter()
    await asyncio.gather(*(worker(began + seconds, True) for _ in range(clients)))
    elapsed = time.perf_counter() - began
    cpu = {name: _cpu_seconds(pid, tree=name == "api") - cpu_before[name] for name, pid in pids.items()}
    served = max(1, len(latencies))
    return {
        **{f"{name}_cpu_ms_per_request": round(v * 1000 / served, 2) for name, v in cpu.items()},
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "refused_503": refused,
        "latency_ms": _summary(latencies) if latencies else None,
    }


async def _repeat(port: int, request: bytes, calls: int, warmup: int) -> list[float]:
    return await _sequential(port, [request] * (calls + warmup), warmup)


def _zipf_picker(requests: list[bytes], exponent: float, seed: int) -> Any:
    rnd = random.Random(seed)
    weights = [1.0 / (rank ** exponent) for rank in range(1, len(requests) + 1)]
    cumulative = list(itertools.accumulate(weights))
    order = requests[:]
    rnd.shuffle(order)
    return lambda: rnd.choices(order, cum_weights=cumulative, k=1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17691")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--port", type=int, default=18741)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--prop-calls", type=int, default=20)
    parser.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of the cached mix")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("var/bench/api_load.json"))
    args = parser.parse_args()

    models, root, family = _pick(args.uri, args.samples, args.seed)
    requests = [_request(args.port, MODEL_QUERY, {"id": m}) for m in models]
    rnd = random.Random(args.seed)
    dashboard = _request(args.port, PROPAGATION_QUERY, {"root": root, "limit": 300})
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "workers": args.workers,
        "sampled_depth5_models": len(models),
        "root": root,
        "root_descendants": family,
        "loadavg_start": _loadavg(),
    }
    neo4j_pid = _neo4j_pid(args.uri)

    def pids(api: subprocess.Popen[bytes]) -> dict[str, int]:
        found = {"api": api.pid, "client": os.getpid()}
        if neo4j_pid is not None:
            found["neo4j"] = neo4j_pid
        return found

    api = _start(args.port, args.uri, args.redis_url, args.workers, cache=False)
    try:
        sequence = [rnd.choice(requests) for _ in range(args.calls + args.warmup)]
        result["cache_off_model_one_client_ms"] = _summary(asyncio.run(_sequential(args.port, sequence, args.warmup)))
        result["cache_off_model_concurrent"] = asyncio.run(
            _concurrent(args.port, lambda: rnd.choice(requests), args.clients, args.seconds, pids(api))
        )
        result["loadavg_after_cache_off"] = _loadavg()
        result["cache_off_propagation_ms"] = _summary(asyncio.run(_repeat(args.port, dashboard, args.prop_calls, 2)))
    finally:
        stop_server(api, timeout_s=20)
    api = _start(args.port, args.uri, args.redis_url, args.workers, cache=True)
    try:
        result["cache_on_model_zipf_concurrent"] = asyncio.run(
            _concurrent(args.port, _zipf_picker(requests, args.zipf, args.seed), args.clients, args.seconds, pids(api))
        )
        result["cache_on_propagation_ms"] = _summary(asyncio.run(_repeat(args.port, dashboard, args.prop_calls * 5, 2)))
        result["loadavg_end"] = _loadavg()
    finally:
        stop_server(api, timeout_s=20)
    write_result(result, args.out)


if __name__ == "__main__":
    main()
