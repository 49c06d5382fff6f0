"""Load the synthetic graph into Neo4j through the real writer (reusable by other benchmarks).

    python -m bench.load --uri bolt://127.0.0.1:17691 --models 1000000 [--seed 7]

``load(driver, graph, ...)`` writes models in index order (parents before children), one
``GraphWriter.write`` call per ``models_per_write`` models, and returns the time spent in the
writer (observation generation excluded: that is the crawler's work).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from neo4j import Driver

from bench.synth import SynthGraph
from graph.db import sync_driver
from graph.schema import ensure_schema
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter

__all__ = ["LoadResult", "load"]


@dataclass(frozen=True, slots=True)
class LoadResult:
    models: int
    observations: int
    writer_seconds: float
    transactions: int

    @property
    def models_per_second(self) -> float:
        return self.models / self.writer_seconds if self.writer_seconds else 0.0


def load(
    driver: Driver,
    graph: SynthGraph,
    *,
    start: int = 0,
    stop: int | None = None,
    models_per_write: int = 20_000,
    batch_size: int = 10_000,
    run_id: str = "bench-load",
    progress: Callable[[int, float], None] | None = None,
) -> LoadResult:
    writer = GraphWriter(driver, batch_size=batch_size)
    stop = len(graph.models) if stop is None else stop
    spent = 0.0
    n_obs = 0
    transactions = 0
    for lo in range(start, stop, models_per_write):
        batch = list(graph.observations(lo, min(lo + models_per_write, stop)))
        n_obs += len(batch)
        began = time.perf_counter()
        report = writer.write(batch, run_id=run_id)
        spent += time.perf_counter() - began
        transactions += report.transactions
        if progress:
            progress(min(lo + models_per_write, stop), spent)
    return LoadResult(stop - start, n_obs, spent, transactions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17691")
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--models-per-write", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    graph = SynthGraph.generate(args.models, args.seed)
    driver = sync_driver(Neo4jSettings(uri=args.uri))
    try:
        ensure_schema(driver)
        result = load(
            driver, graph, models_per_write=args.models_per_write, batch_size=args.batch_size,
            progress=lambda done, s: print(f"{done} models, {done / s:,.0f}/s", file=sys.stderr),
        )
    finally:
        driver.close()
    print(f"{result.models} models, {result.observations} observations in {result.writer_seconds:.1f}s "
          f"= {result.models_per_second:,.0f} models/s")


if __name__ == "__main__":
    main()
