"""Start-up time, peak memory and page latency of the scale replay hub.

    python -m bench.scale_hub [--models 3000000] [--seed 7] [--pages 30] [--kind synthetic|topology]

Starts ``lineage hub serve --scale …`` as its own process (so its memory is measured alone),
waits for ``/_replay/health``, then reads ``--pages`` consecutive 1,000-model pages sorted by
lastModified with the crawler's listing expand, then a few ``filter=base_model:…`` pages, four
searches (the first builds the id text; then an absent, a rare and a common term), 200 model_info calls and one
day of changes (10,000 models). Prints start-up seconds, VmHWM / VmRSS of the server (``/proc/<pid>/status``) and
page latency p50/p99, server-side (``Server-Timing``) and as the client saw it.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["main"]

LISTING_EXPAND = (
    "author", "cardData", "createdAt", "downloads", "gated", "lastModified", "library_name", "likes", "pipeline_tag",
    "safetensors", "sha", "tags", "gguf", "inferenceProviderMapping", "siblings", "spaces",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_mib(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max": round(ordered[-1], 1),
    }


def _walk(client: httpx.Client, url: str, params: list[tuple[str, str]], pages: int) -> tuple[list[float], list[float]]:
    server, seen = [], []
    next_url: str | None = url
    query: list[tuple[str, str]] | None = params
    for _ in range(pages):
        if next_url is None:
            break
        started = time.perf_counter()
        response = client.get(next_url, params=query)
        seen.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        server.append(float(response.headers["Server-Timing"].split("dur=")[1]))
        next_url = response.links.get("next", {}).get("url")
        query = None
    return server, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=["synthetic", "topology"], default="synthetic")
    parser.add_argument("--models", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args()
    port = free_port()
    command = [sys.executable, "-m", "lineage.cli", "hub", "serve", "--scale", args.kind, "--models", str(args.models),
               "--seed", str(args.seed), "--port", str(port)]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, object] = {"kind": args.kind, "models": args.models, "seed": args.seed}
    try:
        with httpx.Client(timeout=120) as client:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"server exited with {process.returncode}")
                try:
                    health = client.get(f"{base}/_replay/health").json()
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            figures["startup_s"] = round(time.perf_counter() - started, 1)
            figures["startup_s_server"] = health.get("startup_s")
            figures["memory_after_start_mib"] = _memory_mib(process.pid)
            listing = [("sort", "lastModified"), ("limit", "1000")] + [("expand", key) for key in LISTING_EXPAND]
            server, seen = _walk(client, f"{base}/api/models", listing, args.pages)
            figures["lastModified_pages"] = {"pages": len(server), "server_ms": _percentiles(server),
                                             "client_ms": _percentiles(seen)}  # fmt: skip
            root = "synthetic-org0/FLUX-dev-0" if args.kind == "synthetic" else "black-forest-labs/FLUX.1-dev"
            children = [("filter", f"base_model:adapter:{root}"), ("limit", "1000")] + listing[2:]
            server, seen = _walk(client, f"{base}/api/models", children, 5)
            figures["children_pages"] = {"pages": len(server), "server_ms": _percentiles(server)}
            for label, term in (
                ("search_first_builds_id_text_ms", "no-such-name"),
                ("search_absent_ms", "still-no-such-name"),
                ("search_rare_ms", "-1234567"),
                ("search_common_ms", "lora"),
            ):
                response = client.get(f"{base}/api/models", params={"search": term, "limit": 1000})
                figures[label] = float(response.headers["Server-Timing"].split("dur=")[1])
            ids = [m["id"] for m in client.get(f"{base}/api/models", params={"limit": 200}).json()]
            info_ms = []
            for model_id in ids:
                response = client.get(f"{base}/api/models/{model_id}")
                info_ms.append(float(response.headers["Server-Timing"].split("dur=")[1]))
            figures["model_info_server_ms"] = _percentiles(info_ms)
            if args.kind == "synthetic":
                timer = time.perf_counter()
                applied = client.post(f"{base}/_replay/changes", json={"models": 10_000, "seed": 1}).json()
                figures["day_of_changes"] = {"s": round(time.perf_counter() - timer, 2), **applied["applied"]}
                server, seen = _walk(client, f"{base}/api/models", listing, 5)
                figures["lastModified_pages_after_changes"] = {"server_ms": _percentiles(server)}
            figures["memory_end_mib"] = _memory_mib(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
