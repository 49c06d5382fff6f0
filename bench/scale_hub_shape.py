"""Compare the synthetic scale hub's lineage shape with the bundled real topology's.

    python -m bench.scale_hub_shape [--models 3000000] [--seed 7]

Prints, for both: share of models with a declared base, relation mix, the largest direct
fan-outs, how many bases have at least 1/10/100/1000 children, multi-base models and depth.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from hubreplay.scale.columns import RELATIONS, Columns
from hubreplay.scale.synthetic import generate
from hubreplay.scale.topology import load_topology

__all__ = ["shape"]


def shape(columns: Columns, rows: int | None = None) -> dict[str, Any]:
    """Lineage statistics of the first ``rows`` models (all when None); bases may lie outside them."""
    count = len(columns) if rows is None else rows
    fan: Counter[int] = Counter()
    relations: Counter[str] = Counter()
    multi = 0
    depth: dict[int, int] = {}
    for index in range(count):
        parents = columns.parents(index)
        if parents:
            relations[RELATIONS[columns.relation[index]]] += 1
            multi += len(parents) > 1
        for parent in parents:
            fan[parent] += 1
    for index in range(count):
        chain, current = 0, index
        seen = {current}
        while columns.first_parent[current] != -1 and chain < 64:
            current = columns.first_parent[current]
            if current in seen:
                break
            seen.add(current)
            chain += 1
        depth[chain] = depth.get(chain, 0) + 1
    declared = sum(relations.values())
    return {
        "models": count,
        "declared_share": round(declared / count, 3),
        "relation_mix": {r: round(n / declared, 3) for r, n in relations.most_common()},
        "multi_base_models": multi,
        "bases": len(fan),
        "bases_with_children_at_least": {k: sum(1 for v in fan.values() if v >= k) for k in (1, 10, 100, 1000, 10000)},
        "largest_fan_outs": [n for _, n in fan.most_common(8)],
        "depth_by_first_base": dict(sorted(depth.items())[:8]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    real = load_topology()
    synthetic, _ = generate(args.models, args.seed)
    print(json.dumps({"real_topology": shape(real.columns, real.rows.rows), "synthetic": shape(synthetic.columns)},
                     indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
