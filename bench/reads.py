"""Read benchmark on the loaded synthetic graph: ancestors of depth-5 models, descendants pages.

    python -m bench.reads --uri bolt://127.0.0.1:17691 --models 1000000 --calls 1000

Regenerates the same synthetic graph (same --models and --seed as the load) to know which
models are at depth 5 and which root has about 50,000 descendants. For each read it times
``--calls`` calls on random models / random pages (after a warm-up), both the raw driver
call (``execute_query`` of the statement) and the full ``graph.reads`` function (with the
conversion to data classes), and reports p50 / p95 / p99 / max in ms. Also saves the
PROFILE of one call of each (var/bench/plans.txt) and the figures (var/bench/reads.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j import Driver

from bench.synth import SynthGraph
from graph import reads
from graph.db import sync_driver
from graph.reads.plan import read
from graph.settings import Neo4jSettings
from graph.statements import reads as q
from graph.statements.lineage import KEY_SEP


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


def _time(fn: Callable[[], Any], calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _raw(driver: Driver, statement: str, params: dict[str, Any]) -> None:
    """The driver call alone (same session settings as graph.reads), without building data classes."""
    read(driver, statement, params, None)


def _profile(driver: Driver, statement: str, params: dict[str, Any]) -> str:
    with driver.session() as session:
        summary = session.run("PROFILE " + statement, params).consume()
    lines: list[str] = []

    def walk(plan: dict[str, Any], depth: int) -> None:
        details = str(plan.get("args", {}).get("Details", ""))[:90].replace("\n", " ")
        lines.append(f"{'  ' * depth}{plan['operatorType']}  rows={plan.get('rows')} dbHits={plan.get('dbHits')}  {details}")
        for child in plan.get("children", []):
            walk(child, depth + 1)

    assert summary.profile is not None
    walk(summary.profile, 0)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17691")
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--target-family", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    graph = SynthGraph.generate(args.models, args.seed)
    depth5 = [m.id for m in graph.models if m.depth == 5]
    sizes = graph.descendant_counts()
    root_index = min(sizes, key=lambda r: abs(sizes[r] - args.target_family))
    root = graph.models[graph.roots[root_index]].id
    driver = sync_driver(Neo4jSettings(uri=args.uri))
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "models": args.models,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        first = reads.descendants(driver, root, limit=args.page)
        results["descendants_root"] = root
        results["descendants_total"] = first.total
        # every page cursor of that root, to ask for random pages
        cursors: list[str | None] = [None]
        page = first
        while page.next_cursor:
            cursors.append(page.next_cursor)
            page = reads.descendants(driver, root, limit=args.page, cursor=page.next_cursor)
        results["descendants_pages"] = len(cursors)

        anc_stmt = q.ancestors_statement(17, False)  # what reads.ancestors(max_depth=16) runs
        results["ancestors_raw"] = _summary(
            _time(lambda: _raw(driver, anc_stmt, {"id": rnd.choice(depth5), "as_of": None}), args.calls, args.warmup)
        )
        results["ancestors"] = _summary(
            _time(lambda: reads.ancestors(driver, rnd.choice(depth5)), args.calls, args.warmup)
        )

        def page_params(cursor: str | None) -> dict[str, Any]:
            return {
                "id": root, "sep": KEY_SEP, "after": None if cursor is None else ancestry_key_from(cursor),
                "hi_suffix": chr(ord(KEY_SEP) + 1), "relations": None, "limit": args.page + 1,
            }

        def raw_page() -> None:
            _raw(driver, q.DESCENDANTS_INDEX_PAGE, page_params(rnd.choice(cursors)))

        results["descendants_page_raw"] = _summary(_time(raw_page, args.calls, args.warmup))
        results["descendants_page"] = _summary(
            _time(lambda: reads.descendants(driver, root, limit=args.page, cursor=rnd.choice(cursors)),
                  args.calls, args.warmup)
        )
        results["descendants_first_page"] = _summary(
            _time(lambda: reads.descendants(driver, root, limit=args.page), args.calls, args.warmup)
        )
        sample = rnd.choice(depth5)
        plans = [
            f"# ancestors of {sample}\n" + _profile(driver, anc_stmt, {"id": sample, "as_of": None}),
            f"# descendants page (middle) of {root}\n"
            + _profile(driver, q.DESCENDANTS_INDEX_PAGE, page_params(cursors[len(cursors) // 2])),
        ]
    finally:
        driver.close()
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "plans.txt").write_text("\n\n".join(plans) + "\n")
    (args.out / "reads.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def ancestry_key_from(cursor: str) -> str:
    import base64

    return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")


__all__ = ["main"]

if __name__ == "__main__":
    main()
