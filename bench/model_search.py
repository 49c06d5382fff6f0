"""Finding models on the 1,000,000-model synthetic graph: the reads behind ``models(...)`` and ``roots``.

    python -m bench.server start            # the graph bench.load filled (var/bench)
    python -m bench.model_search --uri bolt://127.0.0.1:17691 [--calls 30] [--out var/bench/model_search.json]
    python -m bench.server stop

Times each read plan of :mod:`graph.reads.search` (the Cypher the API runs for one page, 50 rows, and
the total when asked) through the sync driver, ``--calls`` times after 3 warm-up calls: a page ordered by
id with each kind of filter, each order of the whole graph, an author, a licence with an order, and a
page of roots with their total. Prints one JSON document with p50 / p99 / max per read and the load
average before and after, and saves it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph.db import sync_driver
from graph.reads.plan import run as run_plan
from graph.reads.search import ModelFilters, SortKey, plan_descendant_counts, plan_roots, plan_search
from graph.settings import Neo4jSettings
from terms.propagation.rules import Severity

__all__ = ["main"]


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _timed(fn: Callable[[], Any], calls: int) -> dict[str, float]:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(calls):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
        "max_ms": round(samples[-1], 1),
    }


def _probe(driver: Any) -> dict[str, Any]:
    """Values to filter by, taken from the graph itself (an author and a licence with many models)."""
    author, _, _ = driver.execute_query(
        "MATCH (m:Model) WHERE m.author IS NOT NULL WITH m.author AS a LIMIT 200000 "
        "RETURN a, count(*) AS n ORDER BY n DESC LIMIT 1"
    )
    licence, _, _ = driver.execute_query(
        "MATCH (m:Model) WHERE m.declared_license IS NOT NULL WITH m.declared_license AS l LIMIT 200000 "
        "RETURN l, count(*) AS n ORDER BY n DESC LIMIT 1"
    )
    total, _, _ = driver.execute_query("MATCH (m:Model) RETURN count(m) AS n")
    return {
        "models": total[0]["n"],
        "author": author[0]["a"] if author else "none",
        "license": licence[0]["l"] if licence else "apache-2.0",
    }


def run(driver: Any, calls: int) -> dict[str, Any]:
    probe = _probe(driver)

    def page(filters: ModelFilters, sort: SortKey = SortKey.ID, with_total: bool = False) -> Callable[[], Any]:
        return lambda: run_plan(driver, plan_search(filters, sort=sort, limit=50, with_total=with_total), None)

    reads: dict[str, Callable[[], Any]] = {
        "by_id": page(ModelFilters()),
        "by_id_with_total": page(ModelFilters(), with_total=True),
        "search_text": page(ModelFilters(search="base-2")),
        "author": page(ModelFilters(author=probe["author"].upper()), with_total=True),
        "license_by_id": page(ModelFilters(license_id=probe["license"]), with_total=True),
        "license_by_downloads": page(ModelFilters(license_id=probe["license"]), SortKey.DOWNLOADS),
        "has_conflict": page(ModelFilters(has_conflict=True)),
        "severity_violation": page(ModelFilters(severity=Severity.VIOLATION)),
        "license_unknown": page(ModelFilters(license_known=False)),
        "sort_downloads": page(ModelFilters(), SortKey.DOWNLOADS),
        "sort_created": page(ModelFilters(), SortKey.CREATED),
        "sort_descendant_count": page(ModelFilters(), SortKey.DESCENDANT_COUNT),
        "roots_page_with_total": lambda: run_plan(driver, plan_roots(limit=50, with_total=True), None),
    }
    figures = {"load_before": _load(), "probe": probe}
    for name, fn in reads.items():
        figures[name] = _timed(fn, calls)
        print(name, figures[name], flush=True)
    sample = [r["id"] for r in driver.execute_query("MATCH (m:Model) RETURN m.id AS id LIMIT 50")[0]]
    figures["descendant_counts_50"] = _timed(lambda: run_plan(driver, plan_descendant_counts(sample), None), calls)
    figures["load_after"] = _load()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17691")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("var/bench/model_search.json"))
    args = parser.parse_args()
    settings = Neo4jSettings(uri=args.uri, query_timeout_s=120)
    with sync_driver(settings) as driver:
        figures = run(driver, args.calls)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
