"""Listing-shaped writes: a hub listing through ``observe_listed`` and ``GraphWriter.write`` (issue 13).

    python -m bench.server start --port 17791
    python -m bench.listing_writer --uri bolt://127.0.0.1:17791 --models 300000 --wipe

Builds N Hub-like listing items (the JSON of ``HfApi.list_models(expand=LISTING_EXPAND)``),
turns each into observations the way a sweep does (``ModelInfo(**item)`` → ``observe_listed``)
— not timed, that is the crawler's work — and writes them through the writer, timing:

(a) first load into an empty graph, ``--models-per-write`` models per ``write`` call;
(b) the last batch of (a) written again, unchanged;
(c) an incremental batch of ``--incremental`` models on the loaded graph: half of them known
    models seen again a day later (a third with a changed licence, a third with a new base),
    half new models.

Shape: a few roots with thousands of direct children (Zipf over 300 roots), a long tail of
small families, ~27 % of models declaring a base (the tag always, the card's ``base_model`` in
90 % of them, 3 % of cards naming a second parent the tags do not: a card/tag disagreement),
a licence mix with ``other`` + ``license_name``/``license_link`` and undeclared licences.
Prints and saves (var/bench/listing_writer.json) models/s, observations and the load average.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from huggingface_hub import ModelInfo

from crawler.listing import observe_listed
from crawler.observations import Observation, Source
from graph.db import sync_driver
from graph.schema import ensure_schema
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter, WriteReport

__all__ = ["listing_items", "listing_observations"]

T0 = datetime(2026, 11, 1, tzinfo=UTC)
ROOTS = 300
BASE_SHARE = 0.27
LICENCES = [
    ("apache-2.0", 35), ("mit", 12), ("llama3.1", 5), ("llama3", 4), ("gemma", 4), ("cc-by-nc-4.0", 4),
    ("openrail", 2), ("cc-by-4.0", 2), ("other", 7), (None, 25),
]  # fmt: skip
OTHER_NAMES = [("qwen-research", "LICENSE"), ("deepseek", "https://github.com/deepseek-ai/LICENSE"),
               ("tongyi-qianwen", "https://huggingface.co/Qwen/Qwen-72B/blob/main/LICENSE"), ("my-licence", None)]
PIPELINES = ["text-generation", "text-classification", "image-classification", "automatic-speech-recognition",
             "feature-extraction", "text-to-image", None]
LIBRARIES = ["transformers", "peft", "gguf", "diffusers", "sentence-transformers", "timm", None]
RELATIONS = [("finetune", 55), ("quantized", 20), ("adapter", 20), ("merge", 5)]


def _weighted(rnd: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rnd.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def listing_items(n: int, seed: int = 13, *, start: int = 0, day: int = 0) -> Iterator[dict[str, Any]]:
    """Listing items for models ``start`` … ``start + n - 1`` (deterministic per index and ``day``)."""
    zipf = [1.0 / (k + 1) ** 1.1 for k in range(ROOTS)]
    for i in range(start, start + n):
        rnd = random.Random(seed * 1_000_003 + i * 7)
        author = f"org{rnd.randrange(1 + i // 20)}" if i >= ROOTS else f"lab{i}"
        model_id = f"{author}/model-{i}"
        licence = _weighted(rnd, LICENCES)
        created = T0 - timedelta(days=400) + timedelta(seconds=i * 7)
        tags = ["safetensors", "region:us"]
        library = rnd.choice(LIBRARIES)
        if library:
            tags.append(library)
        card: dict[str, Any] = {}
        if licence is not None:
            tags.append(f"license:{licence}")
            card["license"] = licence
            if licence == "other":
                name, link = rnd.choice(OTHER_NAMES)
                card["license_name"] = name
                if link:
                    card["license_link"] = link
        if i >= ROOTS and rnd.random() < BASE_SHARE:
            relation = _weighted(rnd, RELATIONS)
            parent = _parent(rnd, i, zipf, seed)
            tags.append(f"base_model:{parent}")
            tags.append(f"base_model:{relation}:{parent}")
            bases = [parent]
            if relation == "merge":
                second = _parent(rnd, i, zipf, seed)
                if second != parent:
                    tags.append(f"base_model:merge:{second}")
                    bases.append(second)
            if rnd.random() < 0.9:
                card["base_model"] = bases[0] if len(bases) == 1 else bases
                if rnd.random() < 0.03:  # the card names a parent the tags do not
                    card["base_model"] = [*bases, _parent(rnd, i, zipf, seed)]
        if rnd.random() < 0.15:
            dataset = f"data{rnd.randrange(2000)}/set"
            tags.append(f"dataset:{dataset}")
            card["datasets"] = [dataset]
        pipeline = rnd.choice(PIPELINES)
        item: dict[str, Any] = {
            "_id": f"{i:024x}",
            "id": model_id,
            "author": author,
            "sha": f"{rnd.getrandbits(160):040x}",
            "createdAt": created.isoformat().replace("+00:00", "Z"),
            "lastModified": (created + timedelta(days=rnd.randrange(30) + day)).isoformat().replace("+00:00", "Z"),
            "downloads": int(rnd.paretovariate(1.2)) - 1,
            "likes": int(rnd.paretovariate(2.0)) - 1,
            "gated": rnd.choice([False] * 18 + ["auto", "manual"]),
            "tags": tags,
            "cardData": card or None,
        }
        if pipeline:
            item["pipeline_tag"] = pipeline
        if library:
            item["library_name"] = library
        if rnd.random() < 0.5:
            size = rnd.choice([124_000_000, 1_500_000_000, 7_241_732_096, 8_030_261_248])
            item["safetensors"] = {"parameters": {"BF16": size}, "total": size}
        yield item


def _parent(rnd: random.Random, i: int, zipf: list[float], seed: int) -> str:
    """A root (Zipf: a few with thousands of children) or, for a quarter, an earlier model."""
    if rnd.random() < 0.75 or i < 2 * ROOTS:
        k = rnd.choices(range(ROOTS), weights=zipf)[0]
        return f"lab{k}/model-{k}"
    j = rnd.randrange(ROOTS, i)
    return f"org{random.Random(seed * 1_000_003 + j * 7).randrange(1 + j // 20)}/model-{j}"  # j's author


def listing_observations(items: Iterator[dict[str, Any]], observed_at: datetime) -> list[Observation]:
    """What a sweep makes of the items (``ModelInfo(**item)`` → ``observe_listed``)."""
    out: list[Observation] = []
    for item in items:
        source = Source(f"https://huggingface.co/api/models/{item['id']}", item["sha"], observed_at)
        out.extend(observe_listed(ModelInfo(**item), source))
    return out


def _timed(writer: GraphWriter, batches: list[list[Observation]], run_id: str) -> tuple[float, list[WriteReport]]:
    spent = 0.0
    reports = []
    for batch in batches:
        began = time.perf_counter()
        reports.append(writer.write(batch, run_id=run_id))
        spent += time.perf_counter() - began
    return spent, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="bolt://127.0.0.1:17791")
    parser.add_argument("--models", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--models-per-write", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--incremental", type=int, default=10_000)
    parser.add_argument("--general", action="store_true",
                        help="GraphWriter(create_new=False): every row through the upserts (the writer before issue 13)")
    parser.add_argument("--alternate", action="store_true",
                        help="(a) only: batches alternately through the create path and the general path "
                             "(ABBA order, so that both see the same load), both rates reported")
    parser.add_argument("--writers", type=int, default=1,
                        help="batches of (a) written concurrently (each its own transactions; an experiment)")
    parser.add_argument("--wipe", action="store_true", help="empty the graph first (constraints and indexes kept)")
    parser.add_argument("--out", type=Path, default=Path("var/bench/listing_writer.json"))
    args = parser.parse_args()

    began = time.perf_counter()
    batches = []
    for lo in range(0, args.models, args.models_per_write):
        n = min(args.models_per_write, args.models - lo)
        batches.append(listing_observations(listing_items(n, args.seed, start=lo), T0))
    half = args.incremental // 2
    again = list(listing_items(half, args.seed, start=args.models - 3 * half, day=1))
    for k, item in enumerate(again):
        if k % 3 == 0:  # licence changed
            card = dict(item["cardData"] or {})
            card["license"] = "mit" if card.get("license") != "mit" else "apache-2.0"
            card.pop("license_name", None)
            card.pop("license_link", None)
            item["cardData"] = card
            item["tags"] = [t for t in item["tags"] if not t.startswith("license:")] + [f"license:{card['license']}"]
        elif k % 3 == 1:  # a new base
            item["tags"] = [*item["tags"], f"base_model:finetune:lab{k % 7}/model-{k % 7}"]
    incremental = listing_observations(
        iter([*again, *listing_items(args.incremental - half, args.seed, start=args.models)]), T0 + timedelta(days=1)
    )
    generated = time.perf_counter() - began
    gc.collect()
    gc.freeze()  # the generated batches stay alive; the collector need not walk them on every write
    n_obs = sum(len(b) for b in batches)
    print(f"generated {args.models:,} models ({n_obs:,} observations) in {generated:.1f}s", file=sys.stderr)

    driver = sync_driver(Neo4jSettings(uri=args.uri))
    try:
        ensure_schema(driver)
        if args.wipe:
            with driver.session() as session:
                session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        writer = GraphWriter(driver, batch_size=args.batch_size, create_new=not args.general)
        load_s = 0.0
        reports: list[WriteReport] = []
        if args.alternate:
            general = GraphWriter(driver, batch_size=args.batch_size, create_new=False)
            spent = {True: 0.0, False: 0.0}
            for k, batch in enumerate(batches):
                fast = k % 4 in (0, 3)
                s, _ = _timed(writer if fast else general, [batch], "bench-listing")
                spent[fast] += s
            half = args.models / 2
            print(json.dumps({"date": datetime.now(UTC).isoformat(timespec="seconds"),
                              "create_path_models_per_second": round(half / spent[True]),
                              "general_path_models_per_second": round(half / spent[False]),
                              "load_average": [round(x, 2) for x in os.getloadavg()]}))
            return
        if args.writers > 1:
            began = time.perf_counter()
            with ThreadPoolExecutor(args.writers) as pool:
                reports = list(pool.map(lambda b: writer.write(b, run_id="bench-listing"), batches))
            load_s = time.perf_counter() - began
        for k, batch in enumerate(batches if args.writers == 1 else ()):
            s, r = _timed(writer, [batch], "bench-listing")
            load_s += s
            reports += r
            done = min((k + 1) * args.models_per_write, args.models)
            print(f"  {done:>9,} models  {done / load_s:>8,.0f} models/s  (batch {len(batch) and args.models_per_write / s:,.0f}/s)",
                  file=sys.stderr)
        load_avg_a = os.getloadavg()
        rewrite_s, _ = _timed(writer, [batches[-1]], "bench-listing")
        incr_s, _ = _timed(writer, [incremental], "bench-listing-incremental")
        counts, _, _ = driver.execute_query(
            "CALL () { MATCH (m:Model) RETURN count(m) AS models } "
            "CALL () { MATCH ()-[d:DERIVED_FROM]->() RETURN count(d) AS derived_from } "
            "CALL () { MATCH ()-[k:HAS_ANCESTOR]->() RETURN count(k) AS has_ancestor } "
            "CALL () { MATCH ()-[p:PUBLISHED]->() RETURN count(p) AS published } "
            "CALL () { MATCH ()-[d:DECLARES]->() RETURN count(d) AS declares } "
            "RETURN models, derived_from, has_ancestor, published, declares"
        )
    finally:
        driver.close()
    last = len(batches[-1]) and min(args.models_per_write, args.models - (len(batches) - 1) * args.models_per_write)
    rows: dict[str, int] = {}
    spent: dict[str, float] = {}
    for r in reports:
        for k, v in r.rows.items():
            rows[k] = rows.get(k, 0) + v
        for k, t in r.seconds_by.items():
            spent[k] = spent.get(k, 0.0) + t
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus python {platform.python_version()}",
        "models": args.models,
        "observations": n_obs,
        "models_per_write": args.models_per_write,
        "writers": args.writers,
        "create_new": not args.general,
        "batch_size": args.batch_size,
        "a_first_load_seconds": round(load_s, 2),
        "a_first_load_models_per_second": round(args.models / load_s),
        "b_rewrite_models": last,
        "b_rewrite_models_per_second": round(last / rewrite_s),
        "c_incremental_models": args.incremental,
        "c_incremental_models_per_second": round(args.incremental / incr_s),
        "transactions_first_load": sum(r.transactions for r in reports),
        "rows_first_load": rows,
        "seconds_first_load_by_statement": {k: round(t, 2) for k, t in sorted(spent.items(), key=lambda kv: -kv[1])},
        "graph": dict(counts[0]),
        "load_average_after_a": [round(x, 2) for x in load_avg_a],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
