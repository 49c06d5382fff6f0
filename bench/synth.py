"""A synthetic, hub-shaped lineage graph (deterministic for a seed), as crawler observations.

Shape (defaults for 1,000,000 models):

* many roots (3 %), family sizes heavy-tailed (Zipf over roots, s = 1.1: the largest
  families hold ~140k, ~60k, ~40k … models; most roots have a handful);
* inside a family, a new model picks the depth of its parent geometrically (0: 55 %, 1: 25 %,
  2: 11 %, … up to 5, so depth reaches 6) and the parent at that depth by preferential
  attachment (heavy-tailed fan-out);
* relations: 50 % fine-tunes, 25 % quantizations and 20 % adapters (both always leaves),
  5 % merges with 2–4 parents (30 % of the extra parents from another family);
* licences: roots from a mix modelled on the leaderboard snapshot (apache-2.0 most, then
  Llama, MIT, Gemma, CC-BY-NC, Qwen, RAIL …, 10 % none); derivatives mostly keep their
  parent's licence, some relicense (apache-2.0 / MIT / CC-BY-NC) or declare none;
* evidence per edge: the Hub tag always, card base_model 60 %, GGUF metadata on half the
  quantizations, adapter_config on 80 % of adapters, mergekit config on 90 % of merges;
* a GGUF file (sha256) per quantization, a Space for 0.5 % of models.

``SynthGraph.generate(n, seed)`` builds the shape in memory (~300 MB for 1M);
``observations(start, stop)`` yields the models in that index range with their edges, in
parent-before-child order, ready for ``GraphWriter.write``. Other benchmarks (API,
propagation) reuse the same graph through ``bench.load``.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crawler.observations import (
    DeclaredLicense,
    DeploymentKind,
    DeploymentSeen,
    DerivationSeen,
    EvidenceKind,
    FileSeen,
    ModelSeen,
    Observation,
    Relation,
    Source,
)

__all__ = ["SynthGraph", "SynthModel", "T0"]

T0 = datetime(2025, 6, 1, tzinfo=UTC)
MAX_DEPTH = 6

ROOT_LICENCES = [
    ("apache-2.0", 40), ("llama3.1", 8), ("llama3", 7), ("llama3.2", 4), ("llama2", 3), ("mit", 7),
    ("gemma", 5), ("cc-by-nc-4.0", 6), ("qwen", 3), ("openrail++", 2), ("creativeml-openrail-m", 2),
    ("bigscience-bloom-rail-1.0", 1), ("gpl-3.0", 1), ("cc-by-4.0", 1), (None, 10),
]
RELATIONS = [(Relation.FINETUNE, 50), (Relation.QUANTIZED, 25), (Relation.ADAPTER, 20), (Relation.MERGE, 5)]
QUANT_SUFFIX = ["GGUF", "AWQ", "GPTQ", "EXL2", "MLX-4bit", "bnb-4bit"]


@dataclass(frozen=True, slots=True)
class SynthModel:
    id: str
    author: str
    license: str | None
    relation: str | None  # None for roots
    parents: tuple[int, ...]
    depth: int  # longest distance to a root (roots: 0)
    family: int  # index of the root whose family it was drawn in


@dataclass(slots=True)
class SynthGraph:
    seed: int
    models: list[SynthModel] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)

    @classmethod
    def generate(cls, n: int = 1_000_000, seed: int = 7, root_share: float = 0.03) -> SynthGraph:
        rnd = random.Random(seed)
        graph = cls(seed=seed)
        n_roots = max(1, int(n * root_share))
        n_authors = max(10, n // 8)
        author_cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(n_authors)))
        family_cum = list(itertools.accumulate(1.0 / (k + 1) ** 1.1 for k in range(n_roots)))
        rel_pop, rel_w = zip(*RELATIONS, strict=True)
        lic_pop, lic_w = zip(*ROOT_LICENCES, strict=True)
        # per family, per depth: attachable members, repeated once per child (preferential attachment)
        levels: list[list[list[int]]] = []
        models = graph.models
        depth_w = [0.45 ** d for d in range(MAX_DEPTH)]  # target depth 1..6, geometric

        def author() -> str:
            return f"user{bisect.bisect_left(author_cum, rnd.random() * author_cum[-1])}"

        def pick(fam: int, level: int) -> int:
            lv = levels[fam]
            level = min(level, len(lv) - 1)
            while not lv[level]:
                level -= 1
            return rnd.choice(lv[level])

        for r in range(n_roots):
            org = f"org{rnd.randrange(max(1, n_roots // 4))}"
            models.append(SynthModel(f"{org}/Base-{r}", org, rnd.choices(lic_pop, lic_w)[0], None, (), 0, r))
            graph.roots.append(len(models) - 1)
            levels.append([[len(models) - 1]])
        for i in range(n_roots, n):
            fam = bisect.bisect_left(family_cum, rnd.random() * family_cum[-1])
            relation = rnd.choices(rel_pop, rel_w)[0]
            target = rnd.choices(range(MAX_DEPTH), depth_w)[0]  # depth of the parent
            first = pick(fam, target)
            parents = [first]
            if relation is Relation.MERGE:
                for _ in range(rnd.randint(1, 3)):
                    other = fam if rnd.random() < 0.7 else bisect.bisect_left(family_cum, rnd.random() * family_cum[-1])
                    candidate = pick(other, rnd.randrange(MAX_DEPTH))
                    if candidate not in parents:
                        parents.append(candidate)
                if len(parents) == 1:
                    parents.append(graph.roots[(fam + 1) % n_roots])
            depth = 1 + max(models[p].depth for p in parents)
            base = models[first]
            licence = _derived_licence(rnd, relation, base.license)
            who = author()
            name = base.id.split("/", 1)[1].split("-")[0] + f"-{relation.value}-{i}"
            if relation is Relation.QUANTIZED:
                name += "-" + QUANT_SUFFIX[i % len(QUANT_SUFFIX)]
            models.append(SynthModel(f"{who}/{name}", who, licence, relation.value, tuple(parents), depth, fam))
            levels[fam][models[first].depth].append(first)
            if relation in (Relation.FINETUNE, Relation.MERGE) and depth < MAX_DEPTH:
                while len(levels[fam]) <= depth:
                    levels[fam].append([])
                levels[fam][depth].append(i)
        return graph

    def descendant_counts(self) -> dict[int, int]:
        """Number of models drawn in each root's family (its descendants, merges across families aside)."""
        counts: dict[int, int] = {}
        for m in self.models:
            if m.relation is not None:
                counts[m.family] = counts.get(m.family, 0) + 1
        return counts

    def observations(self, start: int, stop: int, *, observed_at: datetime = T0) -> Iterator[Observation]:
        """Observations of models ``start``..``stop``-1 with their edges, files and deployments."""
        rnd = random.Random(self.seed * 1_000_003 + start)
        for i in range(start, min(stop, len(self.models))):
            m = self.models[i]
            t = observed_at + timedelta(seconds=i % 3600)
            url = f"https://huggingface.co/api/models/{m.id}"
            sha = hashlib.sha1(m.id.encode()).hexdigest()
            source = Source(url, sha, t)
            yield ModelSeen(
                id=m.id,
                source=source,
                author=m.author,
                declared_license=DeclaredLicense(m.license) if m.license else None,
                pipeline_tag="text-generation",
                library="gguf" if m.relation == "quantized" else "transformers",
                sha=sha,
                downloads=int(rnd.paretovariate(1.2)) - 1,
                likes=int(rnd.paretovariate(1.5)) - 1,
                created_at=t - timedelta(days=30),
            )
            relation = Relation(m.relation) if m.relation else None
            for p in m.parents:
                parent = self.models[p].id
                assert relation is not None
                yield DerivationSeen(m.id, parent, relation, EvidenceKind.HUB_TAG,
                                     f"base_model:{relation.value}:{parent}", 1.0, source)
                if rnd.random() < 0.6:
                    yield DerivationSeen(m.id, parent, relation, EvidenceKind.CARD_BASE_MODEL, parent, 1.0, source)
                extra = _extra_evidence(relation)
                if extra is not None and rnd.random() < extra[1]:
                    yield DerivationSeen(m.id, parent, relation, extra[0], f"{extra[0].value}:{parent}", 0.9, source)
            if relation is Relation.QUANTIZED:
                digest = hashlib.sha256(m.id.encode()).hexdigest()
                yield FileSeen(m.id, m.id.rsplit("/", 1)[1] + ".Q4_K_M.gguf", 4_000_000_000, digest, source)
            if rnd.random() < 0.005:
                yield DeploymentSeen(f"space:{m.author}/demo-{i}", DeploymentKind.SPACE, m.id, m.author,
                                     "RUNNING", f"https://huggingface.co/spaces/{m.author}/demo-{i}", source)


def _derived_licence(rnd: random.Random, relation: Relation, parent: str | None) -> str | None:
    roll = rnd.random()
    if relation is Relation.QUANTIZED:
        return parent if roll < 0.9 else None
    if relation is Relation.ADAPTER:
        return parent if roll < 0.6 else "apache-2.0" if roll < 0.8 else None
    if relation is Relation.MERGE:
        return parent if roll < 0.4 else "apache-2.0" if roll < 0.7 else "cc-by-nc-4.0" if roll < 0.8 else (
            "unknown" if roll < 0.85 else None)
    return parent if roll < 0.55 else "apache-2.0" if roll < 0.75 else "mit" if roll < 0.8 else (
        "cc-by-nc-4.0" if roll < 0.85 else None)


def _extra_evidence(relation: Relation) -> tuple[EvidenceKind, float] | None:
    if relation is Relation.QUANTIZED:
        return EvidenceKind.GGUF_METADATA, 0.5
    if relation is Relation.ADAPTER:
        return EvidenceKind.ADAPTER_CONFIG, 0.8
    if relation is Relation.MERGE:
        return EvidenceKind.MERGEKIT_CONFIG, 0.9
    return None
