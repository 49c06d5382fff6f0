"""Synthetic, hub-shaped model families for crawl-efficiency benchmarks and fault tests.

``generate(folder, SyntheticSpec(models=10_000))`` writes one family under one root in the
snapshot format: preferential-attachment fan-out (a few hubs with thousands of children, a long
tail of leaves), the four relations (finetune / adapter / merge / quantized) with their typical
files, licence drift, cards that do not declare their base (lineage only in
``adapter_config.json``, ``mergekit_config.yml``, ``config.json`` or card text), renamed and
deleted parents, gated repos, Spaces and inference providers, commits (each older commit a
recorded revision with its card) and a few relicensed histories. Everything is drawn from one seeded RNG: the same spec gives the same bytes.

The data is invented (ids live under ``synthetic-*`` namespaces) and the manifest says so.
"""

from __future__ import annotations

import re

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import yaml

from hubreplay.snapshot.format import Manifest, hub_datetime
from hubreplay.snapshot.hubshape import (
    base_model_tags,
    git_blob_id,
    lfs_pointer_size,
    license_tags,
    merge_tags,
    render_card,
)
from hubreplay.snapshot.writer import SnapshotWriter

__all__ = ["SyntheticSpec", "generate"]

_RELATION_WEIGHTS: Final = (("finetune", 0.50), ("quantized", 0.25), ("adapter", 0.15), ("merge", 0.10))
_ATTACH: Final = {"finetune": 3, "merge": 2, "adapter": 1, "quantized": 0}
_DRIFT: Final = ("apache-2.0", "mit", "cc-by-nc-4.0", "other", None)
_QUANT_FORMATS: Final = ("GGUF", "GGUF", "GGUF", "AWQ", "GPTQ", "exl2", "MLX-4bit", "bnb-4bit")
_FT_SUFFIXES: Final = ("sft", "dpo", "orpo", "instruct", "chat", "math", "code", "rp", "med", "de", "ja")


@dataclass(frozen=True)
class SyntheticSpec:
    """What family to generate. Counts are exact; shares are probabilities per model."""

    models: int = 10_000
    seed: int = 0
    root: str = "synthetic-org/Base-8B"
    root_license: str = "llama3.1"
    max_depth: int = 6
    undeclared_share: float = 0.05
    explicit_relation_share: float = 0.3
    licence_drift_share: float = 0.15
    gated_share: float = 0.02
    renamed: int = 3
    deleted: int = 3
    relicensed: int = 3
    spaces_share: float = 0.01
    huge_card_bytes: int = 0
    huge_siblings: int = 0
    name: str = field(default="")


@dataclass
class _Node:
    index: int
    id: str
    parents: list[str]
    relation: str | None
    depth: int
    license: str | None
    declared: bool
    explicit_relation: bool
    quant_format: str | None
    created: datetime
    spaces: list[str] = field(default_factory=list)


class _Generator:
    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.nodes: list[_Node] = []
        self.by_id: dict[str, _Node] = {}
        self.pool: list[int] = []
        self.start = datetime(2024, 7, 23, 15, 0, tzinfo=UTC)
        self.authors = [f"synthetic-user{k}" for k in range(max(8, spec.models // 8))]
        self.quantizers = [f"synthetic-quant{k}" for k in range(max(2, spec.models // 200))]
        self.renamed: dict[str, str] = {}

    def hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    # -- topology ------------------------------------------------------------------------------

    def build(self) -> None:
        root = self._add(self.spec.root, [], None, 0, self.spec.root_license, declared=True)
        self.pool.extend([root.index] * 40)
        if self.spec.models > 1:
            name = self.spec.root.split("/", 1)[0] + "/" + self.spec.root.split("/", 1)[1] + "-Instruct"
            instruct = self._add(name, [root.id], "finetune", 1, self.spec.root_license, declared=True)
            self.pool.extend([instruct.index] * 60)
        while len(self.nodes) < self.spec.models - self.spec.deleted:
            self._add_random()

    def _pick_relation(self) -> str:
        draw, acc = self.rng.random(), 0.0
        for relation, weight in _RELATION_WEIGHTS:
            acc += weight
            if draw < acc:
                return relation
        return "finetune"

    def _add_random(self) -> None:
        relation = self._pick_relation()
        parent = self.nodes[self.rng.choice(self.pool)]
        parents = [parent.id]
        if relation == "merge":
            for _ in range(self.rng.choice((1, 1, 2))):
                other = self.nodes[self.rng.choice(self.pool)].id
                if other not in parents:
                    parents.append(other)
            if len(parents) == 1:
                relation = "finetune"
        depth = max(self.by_id[p].depth for p in parents) + 1
        licence = parent.license
        drift = self.spec.licence_drift_share if relation != "quantized" else 0.03
        if self.rng.random() < drift:
            licence = self.rng.choice(_DRIFT)
        quant = self.rng.choice(_QUANT_FORMATS) if relation == "quantized" else None
        short = parent.id.split("/", 1)[1][:40]
        if relation == "quantized":
            owner, name = self.rng.choice(self.quantizers), f"{short}-{quant}"
        elif relation == "adapter":
            owner, name = self.rng.choice(self.authors), f"{short}-lora-{self.rng.choice(_FT_SUFFIXES)}"
        elif relation == "merge":
            owner, name = self.rng.choice(self.authors), f"{short}-merge"
        else:
            owner, name = self.rng.choice(self.authors), f"{short}-{self.rng.choice(_FT_SUFFIXES)}"
        # the Hub forbids "--" and ".." in repo names; truncation can produce them
        name = re.sub(r"([-.])[-.]+", r"\1", f"{name}-{len(self.nodes)}")
        repo_id = f"{owner}/{name}"
        declared = self.rng.random() >= self.spec.undeclared_share
        node = self._add(repo_id, parents, relation, depth, licence, declared=declared, quant=quant)
        if depth < self.spec.max_depth and _ATTACH[relation]:
            self.pool.extend([node.index] * _ATTACH[relation])

    def _add(
        self,
        repo_id: str,
        parents: list[str],
        relation: str | None,
        depth: int,
        licence: str | None,
        *,
        declared: bool,
        quant: str | None = None,
    ) -> _Node:
        created = self.start + timedelta(minutes=len(self.nodes) * 37 + self.rng.randrange(30))
        node = _Node(
            index=len(self.nodes),
            id=repo_id,
            parents=parents,
            relation=relation,
            depth=depth,
            license=licence,
            declared=declared,
            explicit_relation=self.rng.random() < self.spec.explicit_relation_share,
            quant_format=quant,
            created=created,
        )
        self.nodes.append(node)
        self.by_id[repo_id] = node
        return node

    # -- extras --------------------------------------------------------------------------------

    def assign_spaces(self) -> list[dict[str, Any]]:
        spaces: list[dict[str, Any]] = []
        chosen = [self.nodes[0], *self.nodes[1:2]]
        chosen += [n for n in self.nodes[2:] if self.rng.random() < self.spec.spaces_share]
        for node in chosen:
            for k in range(self.rng.randint(1, 3)):
                space_id = f"synthetic-space{node.index}/demo-{k}"
                node.spaces.append(space_id)
                spaces.append(
                    {
                        "_id": self.hex(24),
                        "id": space_id,
                        "author": space_id.split("/", 1)[0],
                        "likes": self.rng.randrange(50),
                        "private": False,
                        "sdk": self.rng.choice(("gradio", "streamlit", "docker")),
                        "tags": ["gradio", "region:us"],
                        "createdAt": hub_datetime(node.created + timedelta(days=self.rng.randrange(1, 60))),
                        "models": [node.id],
                        "subdomain": space_id.replace("/", "-").lower(),
                    }
                )
        return spaces

    def pick_renamed(self) -> None:
        candidates = [n for n in self.nodes[2:] if n.relation in ("finetune", "merge")]
        for node in self.rng.sample(candidates, min(self.spec.renamed, len(candidates))):
            self.renamed[node.id] = f"{node.id.split('/', 1)[0]}/old-name-{node.index}"


def _card(gen: _Generator, node: _Node, parents_in_card: list[str]) -> tuple[dict[str, Any], str]:
    rng = gen.rng
    card: dict[str, Any] = {}
    if node.license is not None:
        card["license"] = node.license
        if node.license == "other":
            card["license_name"] = "synthetic-custom-license"
            card["license_link"] = "LICENSE"
    if node.declared and parents_in_card:
        card["base_model"] = parents_in_card[0] if len(parents_in_card) == 1 else parents_in_card
        if node.explicit_relation and node.relation:
            card["base_model_relation"] = node.relation
    card["library_name"] = _library(node)
    card["pipeline_tag"] = "text-generation"
    card["tags"] = _card_tags(node)
    body = f"# {node.id.split('/', 1)[1]}\n\n"
    if node.relation == "quantized":
        if node.declared or rng.random() < 0.5:
            body += f"Original model: https://huggingface.co/{parents_in_card[0]}\n\n"
        body += f"{node.quant_format} quantized version of {parents_in_card[0]}.\n"
    elif node.relation == "merge":
        body += "This is a merge of pre-trained language models created using mergekit.\n"
    elif node.relation is not None:
        body += f"A fine-tune of {parents_in_card[0]}.\n" if node.declared else "A fine-tuned chat model.\n"
    else:
        body += "The base model of the synthetic family.\n"
    return card, body


def _library(node: _Node) -> str:
    if node.relation == "adapter":
        return "peft"
    if node.quant_format == "GGUF":
        return "gguf"
    if node.quant_format == "MLX-4bit":
        return "mlx"
    return "transformers"


def _card_tags(node: _Node) -> list[str]:
    if node.relation == "merge":
        return ["mergekit", "merge"]
    if node.relation == "quantized":
        return [str(node.quant_format).lower(), "quantized"]
    if node.relation == "adapter":
        return ["lora", "peft"]
    return ["synthetic"]


def _files(gen: _Generator, node: _Node, parents_in_card: list[str]) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """(small text files with content, LFS files with size)."""
    rng = gen.rng
    text: dict[str, str] = {}
    lfs: list[tuple[str, int]] = []
    parent = parents_in_card[0] if parents_in_card else None
    gb = 1_000_000_000
    if node.relation == "adapter":
        text["adapter_config.json"] = json.dumps(
            {
                "base_model_name_or_path": parent,
                "peft_type": "LORA",
                "r": rng.choice((8, 16, 32, 64)),
                "task_type": "CAUSAL_LM",
            },
            indent=2,
        )
        lfs.append(("adapter_model.safetensors", rng.randrange(20_000_000, 700_000_000)))
        return text, lfs
    if node.quant_format == "GGUF":
        stem = node.id.split("/", 1)[1]
        for quant in ("Q4_K_M", "Q5_K_M", "Q8_0"):
            lfs.append((f"{stem}.{quant}.gguf", rng.randrange(4 * gb, 9 * gb)))
        return text, lfs
    config: dict[str, Any] = {
        "_name_or_path": parent or node.id,
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
    }
    if node.quant_format in ("AWQ", "GPTQ", "bnb-4bit"):
        config["quantization_config"] = {"quant_method": str(node.quant_format).lower().replace("-4bit", ""), "bits": 4}
    text["config.json"] = json.dumps(config, indent=2)
    if node.relation == "merge":
        merge = {
            "merge_method": rng.choice(("slerp", "ties", "dare_ties", "linear")),
            "models": [{"model": p} for p in node.parents],
            "dtype": "bfloat16",
        }
        if len(node.parents) > 1:
            merge["base_model"] = node.parents[0]
        text["mergekit_config.yml"] = yaml.safe_dump(merge, sort_keys=False)
    shards = 1 if node.quant_format else rng.randint(2, 4)
    for k in range(1, shards + 1):
        name = "model.safetensors" if shards == 1 else f"model-{k:05d}-of-{shards:05d}.safetensors"
        lfs.append((name, rng.randrange(2 * gb, 5 * gb)))
    return text, lfs


def _payload(
    gen: _Generator, node: _Node, *, licence: str | None = None, sha: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    rng = gen.rng
    if licence is not None:
        node = _Node(**{**asdict(node), "license": licence})
    parents_in_card = [gen.renamed.get(p, p) if rng.random() < 0.5 else p for p in node.parents]
    card, body = _card(gen, node, parents_in_card)
    text, lfs = _files(gen, node, parents_in_card)
    if gen.spec.huge_card_bytes and node.index == 2:
        body += ("Lorem ipsum dolor sit amet. " * (gen.spec.huge_card_bytes // 28 + 1))[: gen.spec.huge_card_bytes]
    readme = render_card(card, body)
    files = {"README.md": readme, **text}
    siblings: list[dict[str, Any]] = [{"rfilename": ".gitattributes", "size": 1519, "blobId": gen.hex(40)}]
    for name in sorted(files):
        content = files[name].encode("utf-8")
        siblings.append({"rfilename": name, "size": len(content), "blobId": git_blob_id(content)})
    for name, size in lfs:
        sha256 = gen.hex(64)
        siblings.append(
            {
                "rfilename": name,
                "size": size,
                "blobId": gen.hex(40),
                "lfs": {"sha256": sha256, "size": size, "pointerSize": lfs_pointer_size(sha256, size)},
            }
        )
    if gen.spec.huge_siblings and node.index == 3:
        siblings.extend(
            {"rfilename": f"shards/part-{k:06d}.bin", "size": 1024, "blobId": gen.hex(40)}
            for k in range(gen.spec.huge_siblings)
        )
    tags = [
        _library(node),
        "safetensors" if node.quant_format != "GGUF" else "gguf",
        "text-generation",
        *card["tags"],
        "en",
    ]
    if node.declared and node.parents:
        relation = card.get("base_model_relation") or _inferred_relation(node)
        tags += base_model_tags(node.parents, relation)
    tags += license_tags(node.license)
    tags += ["text-generation-inference", "endpoints_compatible", "region:us"]
    downloads = int(rng.paretovariate(1.2) * 40) if node.index > 1 else 5_000_000 - node.index
    created = node.created
    modified = created + timedelta(days=rng.randrange(0, 90), minutes=rng.randrange(1440))
    info: dict[str, Any] = {
        "_id": gen.hex(24),
        "id": node.id,
        "private": False,
        "pipeline_tag": "text-generation",
        "library_name": _library(node),
        "tags": merge_tags(tags),
        "downloads": downloads,
        "likes": downloads // rng.randint(50, 400),
        "modelId": node.id,
        "author": node.id.split("/", 1)[0],
        "sha": sha or gen.hex(40),
        "lastModified": hub_datetime(modified),
        "gated": "manual" if node.index == 0 else ("auto" if rng.random() < gen.spec.gated_share else False),
        "disabled": False,
        "cardData": card,
        "siblings": siblings,
        "spaces": node.spaces,
        "createdAt": hub_datetime(created),
        "usedStorage": sum(s.get("size", 0) for s in siblings),
        "trendingScore": max(0, downloads // 1000 - rng.randrange(5)),
    }
    if "config.json" in text:
        info["config"] = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
    if node.quant_format is None and node.relation != "adapter":
        info["safetensors"] = {"parameters": {"BF16": 8_030_261_248}, "total": 8_030_261_248}
    if node.index < 2 or (node.relation == "finetune" and rng.random() < 0.005):
        info["inferenceProviderMapping"] = {
            "synthetic-provider": {"status": "live", "providerId": node.id.lower(), "task": "conversational"}
        }
    return info, files


def _inferred_relation(node: _Node) -> str:
    if node.relation == "adapter":
        return "adapter"
    if node.quant_format == "GGUF":
        return "quantized"
    if len(node.parents) > 1:
        return "merge"
    return "finetune"


def _commits(gen: _Generator, info: dict[str, Any], count: int) -> list[dict[str, Any]]:
    head_date = datetime.fromisoformat(info["lastModified"].replace("Z", "+00:00"))
    created = datetime.fromisoformat(info["createdAt"].replace("Z", "+00:00"))
    titles = ("Upload folder using huggingface_hub", "Update README.md", "initial commit")
    commits = []
    for k in range(count):
        date = head_date - (head_date - created) * k / max(1, count - 1) if count > 1 else head_date
        commits.append(
            {
                "id": info["sha"] if k == 0 else gen.hex(40),
                "title": titles[min(k, len(titles) - 1)],
                "message": "",
                "authors": [{"user": info["author"]}],
                "date": hub_datetime(date),
            }
        )
    return commits


def _older_revisions(
    writer: SnapshotWriter, repo_id: str, info: dict[str, Any], files: dict[str, str], commits: list[dict[str, Any]]
) -> None:
    """Each older commit as a revision with the head's card (the card did not change), so that a crawl
    reading the commit history finds every revision it lists (no RNG drawn: the family stays the same)."""
    for commit in commits:
        writer.add_revision(repo_id, commit["id"], {**info, "sha": commit["id"], "lastModified": commit["date"]})
        if "README.md" in files:
            writer.add_file(repo_id, "README.md", files["README.md"], revision=commit["id"])


def generate(folder: Path, spec: SyntheticSpec | None = None) -> Manifest:
    """Write a synthetic snapshot to ``folder`` and return its manifest."""
    spec = spec or SyntheticSpec()
    gen = _Generator(spec)
    gen.build()
    gen.pick_renamed()
    spaces = gen.assign_spaces()
    relicensed = {n.id for n in gen.rng.sample(gen.nodes[2:], min(spec.relicensed, max(0, len(gen.nodes) - 2)))}
    name = spec.name or f"synthetic-{spec.models}-seed{spec.seed}"
    provenance = {
        "kind": "synthetic",
        "generator": "hubreplay.snapshot.synthetic",
        "spec": asdict(spec),
        "statement": "Invented data: every id, licence, file and number here was generated from a seeded RNG.",
    }
    with SnapshotWriter(folder, name=name, provenance=provenance, created=datetime(2025, 1, 1, tzinfo=UTC)) as writer:
        for node in gen.nodes:
            info, files = _payload(gen, node)
            writer.add_model(info, provenance={"sources": [{"kind": "synthetic", "depth": node.depth}]})
            for path, content in files.items():
                writer.add_file(node.id, path, content)
            commits = _commits(gen, info, gen.rng.randint(1, 3))
            if node.id in relicensed:
                old_licence = "apache-2.0" if node.license != "apache-2.0" else "mit"
                old_sha = gen.hex(40)
                old_info, old_files = _payload(gen, node, licence=old_licence, sha=old_sha)
                old_date = datetime.fromisoformat(info["createdAt"].replace("Z", "+00:00")) + timedelta(hours=1)
                old_info["lastModified"] = hub_datetime(old_date)
                writer.add_revision(node.id, old_sha, old_info)
                writer.add_file(node.id, "README.md", old_files["README.md"], revision=old_sha)
                commits = [
                    commits[0],
                    {
                        "id": old_sha,
                        "title": "Upload folder using huggingface_hub",
                        "message": "",
                        "authors": [{"user": info["author"]}],
                        "date": hub_datetime(old_date),
                    },
                ]
            else:
                _older_revisions(writer, node.id, info, files, commits[1:])
            writer.add_commits(node.id, commits)
        for space in spaces:
            writer.add_space(space)
        for new, old in gen.renamed.items():
            writer.add_alias(old, new, "synthetic rename")
        for k in range(spec.deleted):
            gone = f"synthetic-gone/deleted-parent-{k}"
            writer.add_deleted(gone, "synthetic deletion")
            orphan = _Node(
                len(gen.nodes) + k,
                f"synthetic-orphan/orphan-of-deleted-{k}",
                [gone],
                "finetune",
                1,
                "apache-2.0",
                True,
                False,
                None,
                gen.start,
            )
            info, files = _payload(gen, orphan)
            writer.add_model(info, provenance={"sources": [{"kind": "synthetic", "note": "parent deleted"}]})
            writer.add_file(orphan.id, "README.md", files["README.md"])
        writer.highlights = {
            "root": spec.root,
            "renamed": [{"old": old, "new": new} for new, old in gen.renamed.items()],
            "relicensed": sorted(relicensed),
            "deleted_parents": [f"synthetic-gone/deleted-parent-{k}" for k in range(spec.deleted)],
        }
        writer.note("Synthetic data for benchmarks and tests; not a record of any real hub.")
    return Manifest.read(folder)
