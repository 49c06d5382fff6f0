"""Generate a Hub-sized synthetic hub as columns, shaped by the real topology's statistics.

Shape, measured on the bundled real topology (435,785 models first seen March-July 2025) and
the Hub's size (about 3 M models, about a third with a model-to-model edge):

* a model declares a base with probability ``DECLARED_SHARE`` (0.32); relation mix of declared
  models as in the real rows: finetune 45.7 %, adapter 27.2 %, quantized 24.3 %, merge 2.8 %;
* merges take their number of bases from the real multi-base distribution (2 … 65 bases);
* a parent is the FLUX-like root (``GIANT_SHARE`` of all edges, as FLUX.1-dev's 9.2 % in the real
  rows), one of ``FAMOUS_ROOTS`` roots with Zipf weights, the parent of an earlier edge
  (preferential attachment: the long tail of popular bases), or any earlier model (depth);
* licences drift along edges: most children keep their parent's, some drop or change it;
* a handful of declared cycles (two 2-cycles and one 3-cycle) exercise cycle handling.

Everything is drawn from ``random.Random(seed)`` in index order, so a seed gives the same hub.
Model ``i`` is named ``synthetic-<owner>/<family stem>-<part>-<i>`` (the index makes the name
invertible without a dictionary; see :func:`parse_index`).
"""

from __future__ import annotations

import bisect
import itertools
import random
from array import array
from dataclasses import dataclass, field
from typing import Final

import structlog

from hubreplay.scale.columns import NO_PARENT, Columns, relation_code
from hubreplay.scale.vocabulary import (
    ADAPTER_SUFFIXES,
    BASE_LICENSE_WEIGHTS,
    DRIFT_LICENSE_WEIGHTS,
    FAMILIES,
    FAMILY_WEIGHTS,
    FT_SUFFIXES,
    IMAGE_ADAPTER_SUFFIXES,
    IMAGE_PIPELINES,
    IMAGE_QUANT_FORMATS,
    QUANT_FORMATS,
    family_license,
)

__all__ = ["SyntheticBuilder", "SyntheticHub", "generate", "mix", "parse_index"]

log = structlog.get_logger(__name__)

DECLARED_SHARE: Final = 0.32
GIANT_SHARE: Final = 0.06
FAMOUS_SHARE: Final = 0.20
PREFERENTIAL_SHARE: Final = 0.45
FAMOUS_ROOTS: Final = 200
OLD_SHARE: Final = 0.03
HUB_DEFAULT_CREATED: Final = 1_646_263_744  # 2022-03-02T23:29:04Z, the Hub's createdAt of repos older than that
FIRST_CREATED: Final = 1_646_265_600  # 2022-03-03
LAST_CREATED: Final = 1_780_272_000  # 2026-06-01
_RELATION_BOUNDS: Final = (0.457, 0.729, 0.972, 1.0)
_RELATION_NAMES: Final = ("finetune", "adapter", "quantized", "merge")
# Real multi-base counts of merges (bases: rows) in the bundled topology, 90 single-base merges included.
_MERGE_BASES: Final = ((1, 90), (2, 1327), (3, 690), (4, 490), (5, 368), (6, 201), (7, 77), (8, 37), (9, 20),
                       (10, 13), (11, 11), (12, 13), (14, 8), (16, 9), (26, 18), (65, 2))  # fmt: skip
_KEEP_LICENSE: Final = {"finetune": 0.80, "adapter": 0.84, "quantized": 0.94, "merge": 0.72}
_MASK64: Final = (1 << 64) - 1


def mix(*values: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): per-model facts derived without storing them."""
    state = 0x9E3779B97F4A7C15
    for value in values:
        state = (state ^ (value & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        state = (state ^ (state >> 31)) * 0x94D049BB133111EB & _MASK64
        state ^= state >> 29
    return state


def _cumulative(weights: tuple[tuple[int, int], ...]) -> tuple[list[int], list[float]]:
    values = [v for v, _ in weights]
    total = float(sum(w for _, w in weights))
    return values, list(itertools.accumulate(w / total for _, w in weights))


@dataclass
class SyntheticHub:
    """A generated hub: its columns plus what is needed to name, extend and describe it."""

    seed: int
    columns: Columns
    quantizers: int
    users: int
    cycles: list[tuple[int, ...]] = field(default_factory=list)
    edges: array = field(default_factory=lambda: array("I"))

    def owner(self, index: int) -> str:
        code = self.columns.author[index]
        if code < FAMOUS_ROOTS:
            return f"synthetic-org{code}"
        if code < FAMOUS_ROOTS + self.quantizers:
            return f"synthetic-quant{code - FAMOUS_ROOTS}"
        return f"synthetic-user{code - FAMOUS_ROOTS - self.quantizers}"

    def model_id(self, index: int) -> str:
        family = FAMILIES[self.columns.family[index]]
        kind = self.columns.kind[index]
        if index < FAMOUS_ROOTS:
            return f"{self.owner(index)}/{family.stem}-{index}"
        h = mix(self.seed, index, 1)
        if kind == 1:
            part = FT_SUFFIXES[h % len(FT_SUFFIXES)]
        elif kind == 2:
            adapters = IMAGE_ADAPTER_SUFFIXES if family.pipeline_tag in IMAGE_PIPELINES else ADAPTER_SUFFIXES
            part = adapters[h % len(adapters)]
        elif kind == 3:
            part = self._quant_format(index, h)
        elif kind == 4:
            part = "merge"
        else:
            part = f"v{h % 4 + 1}"
        return f"{self.owner(index)}/{family.stem}-{part}-{index}"

    def quant_format(self, index: int) -> str | None:
        if self.columns.kind[index] != 3:
            return None
        return self._quant_format(index, mix(self.seed, index, 1))

    def _quant_format(self, index: int, h: int) -> str:
        image = FAMILIES[self.columns.family[index]].pipeline_tag in IMAGE_PIPELINES
        formats = IMAGE_QUANT_FORMATS if image else QUANT_FORMATS
        return formats[h % len(formats)]

    def lookup(self, model_id: str) -> int | None:
        """The index of ``model_id`` (deleted or not), or None if the hub never had it."""
        index = parse_index(model_id)
        if index is None or index >= len(self.columns) or self.model_id(index) != model_id:
            return None
        return index


def parse_index(model_id: str) -> int | None:
    """The index a synthetic id ends with (``…-<index>``), or None."""
    if not model_id.startswith("synthetic-"):
        return None
    tail = model_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and len(tail) < 10 else None


class ParentPicker:
    """Chooses the base of a new model: the giant root, a famous root, a popular base, or any model."""

    def __init__(self, hub: SyntheticHub, rng: random.Random) -> None:
        self.hub = hub
        self.rng = rng
        weights = [1.0 / k for k in range(1, FAMOUS_ROOTS)]
        self._famous = list(itertools.accumulate(w / sum(weights) for w in weights))

    def pick(self, upto: int, *, allow_giant: bool = True) -> int:
        rnd = self.rng.random
        draw = rnd()
        if draw < GIANT_SHARE:
            if allow_giant:
                return 0
        elif draw < GIANT_SHARE + FAMOUS_SHARE:
            return 1 + min(bisect.bisect_left(self._famous, rnd()), FAMOUS_ROOTS - 2)
        elif draw < GIANT_SHARE + FAMOUS_SHARE + PREFERENTIAL_SHARE and self.hub.edges:
            edges = self.hub.edges
            return int(edges[int(rnd() * len(edges))])
        return int(rnd() * upto)


class SyntheticBuilder:
    def __init__(self, models: int, seed: int) -> None:
        self.n = models
        self.rng = random.Random(seed)
        self.hub = SyntheticHub(
            seed=seed, columns=Columns(), quantizers=max(20, models // 15_000), users=max(50, models // 10)
        )
        self.picker = ParentPicker(self.hub, self.rng)
        self.family_values, self.family_cumulative = _cumulative(tuple(enumerate(FAMILY_WEIGHTS)))
        self.base_licenses = _cumulative(BASE_LICENSE_WEIGHTS)
        self.drift_licenses = _cumulative(DRIFT_LICENSE_WEIGHTS)
        self.merge_bases = _cumulative(_MERGE_BASES)
        self.old = int(models * OLD_SHARE)

    def created(self, index: int) -> int:
        if index < self.old:
            return HUB_DEFAULT_CREATED
        return FIRST_CREATED + (index - self.old) * (LAST_CREATED - FIRST_CREATED) // max(1, self.n - self.old)

    def _draw(self, table: tuple[list[int], list[float]]) -> int:
        values, cumulative = table
        return values[min(bisect.bisect_left(cumulative, self.rng.random()), len(values) - 1)]

    def relation(self) -> str:
        position = bisect.bisect_right(_RELATION_BOUNDS, self.rng.random())
        return _RELATION_NAMES[min(position, len(_RELATION_NAMES) - 1)]

    def build(self) -> SyntheticHub:
        for index in range(self.n):
            self.add(index, self.created(index))
        self.add_cycles()
        log.info("synthetic_hub_generated", models=self.n, seed=self.hub.seed, cycles=len(self.hub.cycles))
        return self.hub

    def add(self, index: int, created: int, *, modified: int | None = None, declared: bool | None = None) -> int:
        """Draw and append model ``index`` (also used by a day of changes, with its own times)."""
        rng, columns = self.rng, self.hub.columns
        rnd = rng.random
        parents: tuple[int, ...] = ()
        relation: str | None = None
        if index < FAMOUS_ROOTS:
            family = index % len(FAMILIES)
            licence = family_license(FAMILIES[family])
            author = index
            downloads = int(2_000_000 * rnd() / (1 + index / 20)) + 10_000
        else:
            if declared is None:
                declared = rnd() < DECLARED_SHARE
            if declared:
                relation = self.relation()
                first = self.picker.pick(index)
                parents = (first,)
                if relation == "merge":
                    extra = self._draw(self.merge_bases) - 1
                    chosen = [first]
                    for _ in range(extra * 2):
                        if len(chosen) > extra:
                            break
                        other = self.picker.pick(index, allow_giant=False)
                        if other not in chosen:
                            chosen.append(other)
                    parents = tuple(chosen)
                family = columns.family[first]
                licence = columns.license[first]
                if rnd() >= _KEEP_LICENSE[relation]:
                    licence = self._draw(self.drift_licenses)
                self.hub.edges.extend(parents)
            else:
                family = self._draw((self.family_values, self.family_cumulative))
                licence = self._draw(self.base_licenses)
            if relation == "quantized" and rnd() < 0.8:
                author = FAMOUS_ROOTS + int(self.hub.quantizers * rnd() ** 2)
            else:
                author = FAMOUS_ROOTS + self.hub.quantizers + int(self.hub.users * rnd() ** 3)
            downloads = min(int(2.718281828 ** rng.gauss(1.5, 2.6)), 4_000_000_000)
        if modified is None:
            modified = created + int((LAST_CREATED - created) * rnd() ** 6)
        return columns.append(parents, relation_code(relation), created, modified, downloads, author, family, licence)

    def add_cycles(self) -> None:
        """Two 2-cycles and one 3-cycle: a base-less model is made to declare one of its descendants."""
        columns = self.hub.columns
        n = len(columns)
        wanted = [2, 2, 3]
        tries = 0
        while wanted and tries < 200_000:
            tries += 1
            child = FAMOUS_ROOTS + int(self.rng.random() * (n - FAMOUS_ROOTS))
            chain = [child]
            while len(chain) < wanted[0] - 1:
                parent = columns.first_parent[chain[-1]]
                if parent == NO_PARENT or parent < FAMOUS_ROOTS:
                    break
                chain.append(parent)
            top = chain[-1]
            if len(chain) < wanted[0] - 1 or columns.first_parent[top] == NO_PARENT:
                continue
            root = columns.first_parent[top]
            if root < FAMOUS_ROOTS or columns.first_parent[root] != NO_PARENT or root in columns.more_parents:
                continue
            columns.set_parents(root, (child,))
            columns.relation[root] = relation_code("finetune")
            self.hub.cycles.append((root, *chain))  # each declares the next, the last declares the first
            wanted.pop(0)


def generate(models: int, seed: int) -> tuple[SyntheticHub, SyntheticBuilder]:
    """A synthetic hub of ``models`` models and the builder that can extend it (a day of changes)."""
    builder = SyntheticBuilder(models, seed)
    return builder.build(), builder
