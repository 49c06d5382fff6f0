"""Ingest benchmark: the synthetic graph through the real writer, batched vs one transaction per model.

    python -m bench.ingest --uri bolt://127.0.0.1:17691 --models 1000000 --per-model 2000

Writes models 0 … N-S-1 with ``GraphWriter.write`` (``--models-per-write`` models per call,
``--batch-size`` rows per statement chunk), then the last S models one ``write_atomic``
call (one transaction) per model, on the same growing graph. Prints and saves
(var/bench/ingest.json) models/s for both and their ratio. Observation generation is
not timed (it is the crawler's work); mapping, alias resolution, evidence merging, history
and the ancestry index are.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.load import load
from bench.synth import SynthGraph
from graph.db import sync_driver
from graph.schema import ensure_schema
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17691")
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-model", type=int, default=2000, help="models written one transaction each")
    parser.add_argument("--models-per-write", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("var/bench/ingest.json"))
    args = parser.parse_args()

    began = time.perf_counter()
    graph = SynthGraph.generate(args.models, args.seed)
    generated = time.perf_counter() - began
    split = args.models - args.per_model
    driver = sync_driver(Neo4jSettings(uri=args.uri))
    try:
        ensure_schema(driver)
        bulk = load(
            driver, graph, stop=split, models_per_write=args.models_per_write, batch_size=args.batch_size,
            progress=lambda done, s: print(f"  {done:>9,} models  {done / s:>8,.0f} models/s", file=sys.stderr),
        )
        writer = GraphWriter(driver, batch_size=args.batch_size)
        spent = 0.0
        for i in range(split, args.models):
            obs = list(graph.observations(i, i + 1))
            t = time.perf_counter()
            writer.write_atomic(obs, run_id="bench-per-model")
            spent += time.perf_counter() - t
        counts, _, _ = driver.execute_query(
            "CALL () { MATCH (m:Model) RETURN count(m) AS models } "
            "CALL () { MATCH ()-[d:DERIVED_FROM]->() RETURN count(d) AS edges } "
            "CALL () { MATCH ()-[k:HAS_ANCESTOR]->() RETURN count(k) AS pairs } "
            "RETURN models, edges, pairs"
        )
    finally:
        driver.close()
    per_model_rate = args.per_model / spent if spent else 0.0
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {platform.processor() or ''} python {platform.python_version()}",
        "models": args.models,
        "seed": args.seed,
        "generate_seconds": round(generated, 1),
        "bulk_models": bulk.models,
        "bulk_observations": bulk.observations,
        "bulk_seconds": round(bulk.writer_seconds, 1),
        "bulk_models_per_second": round(bulk.models_per_second),
        "bulk_transactions": bulk.transactions,
        "per_model_models": args.per_model,
        "per_model_seconds": round(spent, 1),
        "per_model_models_per_second": round(per_model_rate, 1),
        "ratio": round(bulk.models_per_second / per_model_rate, 1) if per_model_rate else None,
        "graph": dict(counts[0]),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
