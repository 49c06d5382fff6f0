"""Benchmark of ``lineage import``: a synthetic Hub metadata dump imported end to end (issue 13).

    python -m bench.parquet_import --rows 200000                 # own Neo4j, started and stopped here
    python -m bench.parquet_import --rows 3000000 --keep-file    # the default size of the goal
    python -m bench.parquet_import --rows 200000 --uri bolt://127.0.0.1:7687   # a running, migrated Neo4j

The dump has the shape of hub-stats ``models.parquet`` (docs/import.md): ~27 % of the models
declare a base (half of those under five "hub" roots with thousands of children each, the rest
under any earlier model, so families are several levels deep), relations 50 % finetune, 25 %
quantized, 20 % adapter, 5 % merge (two parents); 90 % of the bases in the tags (70 % with the card
agreeing), 10 % only in the card; licences apache-2.0, mit, llama3.1, other (with license_name and
license_link), cc-by-nc-4.0, gemma, openrail, none. Generation is not timed (written in 50,000-row
row groups, never whole in memory). The import is timed end to end, the same code as the command
(``DumpImporter.run``), with its split: reading Parquet, row → ModelInfo, observe_listed, writer.
Peak RSS of this process is reported (``resource.getrusage``: the whole run, generation included).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["SCHEMA", "synthetic_dump", "synthetic_rows"]

SCHEMA = pa.schema([
    ("id", pa.string()), ("author", pa.string()), ("sha", pa.string()),
    ("createdAt", pa.timestamp("ms", tz="UTC")), ("lastModified", pa.timestamp("ms", tz="UTC")),
    ("private", pa.bool_()), ("gated", pa.string()), ("downloads", pa.int64()), ("downloadsAllTime", pa.int64()),
    ("likes", pa.int64()), ("trendingScore", pa.float64()), ("library_name", pa.string()),
    ("pipeline_tag", pa.string()), ("tags", pa.list_(pa.string())), ("cardData", pa.string()),
    ("safetensors", pa.struct([("parameters", pa.map_(pa.string(), pa.int64())), ("total", pa.int64())])),
])  # fmt: skip

_LICENSES = [("apache-2.0", 30), ("mit", 15), ("llama3.1", 10), ("other", 10), ("cc-by-nc-4.0", 5), ("gemma", 5),
             ("openrail", 5), (None, 20)]  # fmt: skip
_RELATIONS = [("finetune", 50), ("quantized", 25), ("adapter", 20), ("merge", 5)]
_HUBS = 5
_T0 = datetime(2023, 1, 1, tzinfo=UTC)


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def synthetic_rows(n: int, seed: int = 13) -> Iterator[dict[str, Any]]:
    """``n`` rows in the dump's shape (deterministic for a seed)."""
    rng = random.Random(seed)
    for i in range(n):
        org = "hub-root" if i < _HUBS else f"org{rng.randrange(max(1, n // 20))}"
        model_id = f"{org}/model-{i}"
        tags = ["transformers", "safetensors"]
        card: dict[str, Any] = {}
        if i >= _HUBS and rng.random() < 0.27:
            relation = _pick(rng, _RELATIONS)
            hub = rng.random() < 0.5
            parents = [f"hub-root/model-{min(int(rng.paretovariate(1.2)) - 1, _HUBS - 1)}" if hub
                       else _earlier(rng, i, n)]
            if relation == "merge":
                parents.append(_earlier(rng, i, n))
                parents = list(dict.fromkeys(parents))
            where = rng.random()
            if where < 0.9:
                tags += [f"base_model:{p}" for p in parents] + [f"base_model:{relation}:{p}" for p in parents]
            if where < 0.7 or where >= 0.9:
                card["base_model"] = parents[0] if len(parents) == 1 else parents
                if where >= 0.9:
                    card["base_model_relation"] = relation
        license_id = _pick(rng, _LICENSES)
        if license_id is not None:
            tags.append(f"license:{license_id}")
            card["license"] = license_id
            if license_id == "other":
                card["license_name"] = f"{org}-community"
                card["license_link"] = f"https://example.com/{org}/LICENSE"
        created = _T0 + timedelta(minutes=i)
        gate = rng.random()
        yield {
            "id": model_id, "author": org, "sha": f"{rng.getrandbits(160):040x}", "createdAt": created,
            "lastModified": created + timedelta(days=rng.randrange(300)), "private": False,
            "gated": "manual" if gate < 0.03 else ("auto" if gate < 0.05 else "false"),
            "downloads": int(rng.paretovariate(1.1)) - 1, "downloadsAllTime": int(rng.paretovariate(1.0)) - 1,
            "likes": int(rng.paretovariate(1.5)) - 1, "trendingScore": 0.0, "library_name": "transformers",
            "pipeline_tag": "text-generation", "tags": tags, "cardData": json.dumps(card) if card else None,
            "safetensors": {"parameters": [("BF16", 7_000_000_000)], "total": 7_000_000_000} if rng.random() < 0.3 else None,
        }  # fmt: skip


def _earlier(rng: random.Random, i: int, n: int) -> str:
    j = rng.randrange(i)
    return f"hub-root/model-{j}" if j < _HUBS else f"org{random.Random(j).randrange(max(1, n // 20))}/model-{j}"


def synthetic_dump(path: Path, n: int, *, seed: int = 13, row_group_rows: int = 50_000) -> Path:
    """Write ``n`` synthetic rows to ``path``, one row group at a time."""
    rows = synthetic_rows(n, seed)
    with pq.ParquetWriter(path, SCHEMA) as writer:
        while chunk := [row for _, row in zip(range(row_group_rows), rows, strict=False)]:
            writer.write_table(pa.Table.from_pylist(chunk, schema=SCHEMA))
    return path


def _mapping_share(dump: Any, batch_rows: int, rows: int = 20_000) -> dict[str, float]:
    """Seconds the writer's pure-Python mapping (observations → records) takes for the first ``rows`` rows."""
    from dumps.importer import DumpImporter
    from dumps.settings import ImportSettings
    from graph.mapping import map_observations

    batches: list[list[Any]] = []

    class _Keep:
        def write(self, observations: Any, *, run_id: str) -> None:
            batches.append(list(observations))

    DumpImporter(_Keep(), ImportSettings(batch_rows=batch_rows)).run(dump, limit=rows)  # type: ignore[arg-type]
    began = time.perf_counter()
    for batch in batches:
        map_observations(batch)
    seconds = time.perf_counter() - began
    return {"rows": float(rows), "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


class _NullWriter:
    def write(self, observations: Any, *, run_id: str) -> None:
        del observations, run_id


def _without_graph(args: argparse.Namespace) -> None:
    from dumps.importer import DumpImporter
    from dumps.reader import open_dump
    from dumps.settings import ImportSettings

    load_before = os.getloadavg()
    began = time.perf_counter()
    dump = open_dump(args.file)
    opened = time.perf_counter() - began
    importer = DumpImporter(_NullWriter(), ImportSettings(batch_rows=args.batch_rows))  # type: ignore[arg-type]
    report = importer.run(dump, limit=args.limit)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "rows": report.rows_read, "writer": "none",
        "file_rows": dump.num_rows,
        "file_mib": round(args.file.stat().st_size / 2**20, 1), "open_with_sha256_s": round(opened, 1),
        "seconds": round(report.seconds, 1), "rows_per_s": round(report.rows_per_s),
        "split_s": {"read_parquet": round(report.read_s, 1), "row_to_model_info": round(report.convert_s, 1),
                    "observe_listed": round(report.observe_s, 1)},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip
    print(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--uri", default=None, help="a running Neo4j (default: start one in var/bench/parquet-import)")
    parser.add_argument("--heap-mb", type=int, default=2048)
    parser.add_argument("--pagecache-mb", type=int, default=1024)
    parser.add_argument("--file", type=Path, default=Path("var/bench/parquet-import/models.parquet"))
    parser.add_argument("--keep-file", action="store_true", help="reuse the dump if it has the asked number of rows")
    parser.add_argument("--limit", type=int, default=None, help="import at most this many rows of the file")
    parser.add_argument("--null-writer", action="store_true",
                        help="read, convert and observe every row but write nothing (no Neo4j): the import's own cost and memory")
    parser.add_argument("--out", type=Path, default=Path("var/bench/parquet-import/result.json"))
    args = parser.parse_args()

    from dumps.importer import DumpImporter
    from dumps.reader import open_dump
    from dumps.settings import ImportSettings
    from graph.db import sync_driver
    from graph.schema import migrate
    from graph.settings import Neo4jSettings
    from graph.writer import GraphWriter
    from lineage.stack import Neo4jServer, StackSettings
    from tests.support.stack import WIPE, free_port

    args.file.parent.mkdir(parents=True, exist_ok=True)
    if not (args.keep_file and args.file.exists() and pq.ParquetFile(args.file).metadata.num_rows == args.rows):
        args.file.parent.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        synthetic_dump(args.file, args.rows, seed=args.seed)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - began:.0f} s: {args.file} "
              f"({args.file.stat().st_size / 2**20:.0f} MiB)", flush=True)
    if args.null_writer:
        _without_graph(args)
        return
    server = None
    uri = args.uri
    if uri is None:
        state = args.file.parent / "neo4j-state"
        shutil.rmtree(state, ignore_errors=True)
        server = Neo4jServer(StackSettings(state_dir=state, neo4j_port=free_port(), neo4j_heap_mb=args.heap_mb,
                                           neo4j_pagecache_mb=args.pagecache_mb, neo4j_start_timeout_s=300))
        server.start()
        uri = server.url
    driver = sync_driver(Neo4jSettings(uri=uri))
    try:
        migrate(driver)
        with driver.session() as session:
            session.run(WIPE).consume()
        load_before = os.getloadavg()
        dump = open_dump(args.file)

        def progress(report: Any) -> None:
            if report.batches % 5 == 0:
                print(f"  {report.next_row:,} rows, {report.rows_per_s:,.0f} rows/s, load {os.getloadavg()[0]:.1f}", flush=True)

        importer = DumpImporter(GraphWriter(driver), ImportSettings(batch_rows=args.batch_rows), on_batch=progress)
        began = time.perf_counter()
        report = importer.run(dump, limit=args.limit)
        seconds = time.perf_counter() - began
        load_after = os.getloadavg()
        records, _, _ = driver.execute_query("MATCH (m:Model) RETURN count(m) AS n")
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "rows": args.rows, "batch_rows": args.batch_rows,
            "file_mib": round(args.file.stat().st_size / 2**20, 1), "seconds_end_to_end": round(seconds, 1),
            "rows_per_s": round(report.rows_read / seconds), "models": report.models,
            "models_in_graph": records[0]["n"], "derivations": report.derivations, "licenses": report.licenses,
            "problems": dict(report.problems), "split_s": {
                "read_parquet": round(report.read_s, 1), "row_to_model_info": round(report.convert_s, 1),
                "observe_listed": round(report.observe_s, 1), "graph_writer": round(report.write_s, 1),
                "sha256_of_file_at_open": None},
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        }  # fmt: skip
        began = time.perf_counter()
        open_dump(args.file)
        result["split_s"]["sha256_of_file_at_open"] = round(time.perf_counter() - began, 2)  # type: ignore[index]
        result["writer_mapping_only"] = _mapping_share(dump, args.batch_rows)
    finally:
        driver.close()
        if server is not None:
            server.stop()
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
