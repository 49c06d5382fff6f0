"""Start / stop the benchmark Neo4j (own port and data folder, bigger heap and page cache).

    python -m bench.server start [--port 17691] [--heap-mb 4096] [--pagecache-mb 4096]
    python -m bench.server stop

Data lives in var/bench (ignored by git) and survives restarts, so a loaded 1M graph can be
reused by later benchmarks (API, propagation).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graph.settings import Neo4jSettings
from lineage.commands.migrate import apply_migrations
from lineage.stack import Neo4jServer, StackSettings

__all__ = ["bench_server"]

STATE_DIR = Path("var/bench")


def bench_server(port: int = 17691, heap_mb: int = 4096, pagecache_mb: int = 4096) -> Neo4jServer:
    settings = StackSettings(
        state_dir=STATE_DIR, neo4j_port=port, neo4j_heap_mb=heap_mb, neo4j_pagecache_mb=pagecache_mb,
        neo4j_start_timeout_s=300,
    )
    return Neo4jServer(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--port", type=int, default=17691)
    parser.add_argument("--heap-mb", type=int, default=4096)
    parser.add_argument("--pagecache-mb", type=int, default=4096)
    args = parser.parse_args()
    server = bench_server(args.port, args.heap_mb, args.pagecache_mb)
    if args.action == "start":
        status = server.start()
        report = apply_migrations(Neo4jSettings(uri=server.url))  # what `lineage migrate` does
        print(f"{status.url} pid={status.pid} started={status.started} "
              f"schema: {len(report.created)} created, {len(report.existing)} existed")
    elif args.action == "stop":
        print("stopped" if server.stop() else "was not running")
    else:
        print(server.status())


if __name__ == "__main__":
    main()
