"""Inferred lineage, for models that declare no base model: each guess with its evidence.

Pure functions over text and mappings the source has already fetched. Every result is an
:class:`Inferred` with an evidence kind, a human-readable detail and a confidence below 1:

==========================  ==========  =============================================
evidence                    confidence  relation
==========================  ==========  =============================================
adapter_config.json         0.95        adapter
mergekit configuration      0.90        merge
GGUF general.source.*       0.85        quantized
GGUF general.base_model.*   0.75        quantized
card "Original model: X"    0.80        quantized if the repo is a quantized format, else finetune
card "quantized … of X"     0.80        quantized
card field model_link       0.80        as for "Original model"
card links exactly one      0.40        as for "Original model"
  model page
config.json _name_or_path   0.50        structural (adapter / quantized) or finetune
name pattern + Hub search   0.30        quantized
==========================  ==========  =============================================

Relation rules when undeclared (DESIGN.md): several parents → merge; adapter files →
adapter; quantized formats → quantized; otherwise finetune.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from crawler.observations import EvidenceKind, Relation
from crawler.parsing import check_repo_id

__all__ = [
    "ADAPTER_FILES",
    "Inferred",
    "from_adapter_config",
    "from_card_fields",
    "from_card_text",
    "from_config_json",
    "from_gguf",
    "from_mergekit_config",
    "hub_model_links",
    "mergekit_blocks",
    "name_pattern_base",
    "quantized_format",
    "split_front_matter",
    "structural_relation",
    "with_merge_rule",
]

ADAPTER_FILES: frozenset[str] = frozenset(
    {
        "adapter_config.json",
        "adapter_model.safetensors",
        "adapter_model.bin",
        "pytorch_lora_weights.safetensors",
        "pytorch_lora_weights.bin",
    }
)
_QUANT_CONFIG_FILES: Mapping[str, str] = {
    "quantize_config.json": "GPTQ",
    "quant_config.json": "AWQ",
    "measurement.json": "EXL2",
}
_QUANT_TOKEN = (
    r"gguf|ggml|gptq|awq|exl2|exl3|mlx|bnb-4bit|bnb-8bit|bnb|4bit|8bit|3bit|6bit|int4|int8|fp8|nf4|"
    r"imat|imatrix|hqq|eetq|q[2-8]_k(?:_[sml])?|q[2-8]_[01]|q[2-8]k[sml]?"
)
_QUANT_NAME = re.compile(rf"(?i)(?:^|[-_.])({_QUANT_TOKEN})(?=$|[-_.])")
_QUANT_SUFFIX = re.compile(rf"(?i)[-_.]({_QUANT_TOKEN})$")
_QUANT_ORGS = {"mlx-community": "MLX"}
_NOT_MODEL_PATHS = frozenset(
    {
        "api", "blog", "collections", "datasets", "docs", "join", "learn", "login", "models", "new",
        "organizations", "papers", "posts", "pricing", "settings", "spaces", "tasks",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Inferred:
    """One inferred parent of a model."""

    parent_id: str
    relation: Relation
    kind: EvidenceKind
    detail: str
    confidence: float


def quantized_format(
    model_id: str, sibling_names: Iterable[str], config: Mapping[str, Any] | None, gguf: object
) -> str | None:
    """The quantized weight format a repo holds (GGUF, GPTQ, AWQ, EXL2, MLX, bnb …), or None."""
    names = list(sibling_names)
    if isinstance(gguf, Mapping) and gguf:
        return "GGUF"
    if any(name.lower().endswith(".gguf") for name in names):
        return "GGUF"
    base_names = {name.rsplit("/", 1)[-1] for name in names}
    for filename, fmt in _QUANT_CONFIG_FILES.items():
        if filename in base_names:
            return fmt
    if isinstance(config, Mapping):
        quant = config.get("quantization_config")
        if isinstance(quant, Mapping) and isinstance(quant.get("quant_method"), str):
            return str(quant["quant_method"]).upper()
    org, _, name = model_id.partition("/")
    if org in _QUANT_ORGS:
        return _QUANT_ORGS[org]
    match = _QUANT_NAME.search(name or org)
    if match:
        return match.group(1).upper()
    return None


def structural_relation(
    model_id: str, sibling_names: Sequence[str], config: Mapping[str, Any] | None, gguf: object
) -> tuple[Relation | None, str | None]:
    """Relation suggested by the repo's own files and name: adapter, quantized, or None."""
    base_names = {name.rsplit("/", 1)[-1] for name in sibling_names}
    adapter = sorted(base_names & ADAPTER_FILES)
    if adapter:
        return Relation.ADAPTER, f"adapter files {', '.join(adapter)}"
    fmt = quantized_format(model_id, sibling_names, config, gguf)
    if fmt is not None:
        return Relation.QUANTIZED, f"quantized format {fmt}"
    return None, None


def with_merge_rule(found: list[Inferred]) -> list[Inferred]:
    """Several distinct parents from one kind of evidence → merge (unless they are adapters)."""
    parents = {item.parent_id.lower() for item in found}
    if len(parents) < 2:
        return found
    return [
        item
        if item.relation in (Relation.MERGE, Relation.ADAPTER)
        else Inferred(item.parent_id, Relation.MERGE, item.kind, item.detail + "; several parents", item.confidence)
        for item in found
    ]


def _plausible_id(candidate: str, model_id: str) -> str | None:
    candidate = candidate.strip().strip("`'\"").rstrip(".,;:)")
    if candidate.lower() == model_id.lower():
        return None
    if candidate.startswith(("/", ".", "~")) or "\\" in candidate or ":" in candidate:
        return None
    if candidate.count("/") != 1 or check_repo_id(candidate) is not None:
        return None
    return candidate


def from_adapter_config(text: str, model_id: str) -> tuple[list[Inferred], str | None]:
    """Parent from adapter_config.json ``base_model_name_or_path``; (found, problem sentence)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], f"adapter_config.json is not JSON: {exc}"
    if not isinstance(data, Mapping):
        return [], "adapter_config.json is not a JSON object"
    raw = data.get("base_model_name_or_path")
    if raw is None:
        return [], None
    if not isinstance(raw, str):
        return [], f"adapter_config.json base_model_name_or_path is not a string: {raw!r}"
    parent = _plausible_id(raw, model_id)
    if parent is None:
        return [], f"adapter_config.json base_model_name_or_path {raw!r} is not a Hub model id"
    peft = data.get("peft_type")
    detail = f"adapter_config.json base_model_name_or_path {raw}" + (f" (peft_type {peft})" if peft else "")
    return [Inferred(parent, Relation.ADAPTER, EvidenceKind.ADAPTER_CONFIG, detail, 0.95)], None


def _mergekit_models(data: Mapping[str, Any]) -> list[str]:
    found: list[str] = []

    def add(value: object) -> None:
        if isinstance(value, Mapping):
            value = value.get("model")
        if isinstance(value, str):
            found.append(value.split("+", 1)[0].strip())

    for entry in data.get("models") or []:
        if isinstance(entry, Mapping):
            add(entry.get("model"))
    for slice_ in data.get("slices") or []:
        if isinstance(slice_, Mapping):
            for src in slice_.get("sources") or []:
                if isinstance(src, Mapping):
                    add(src.get("model"))
    add(data.get("base_model"))
    return found


def from_mergekit_config(text: str, model_id: str, *, where: str = "mergekit_config.yml") -> tuple[list[Inferred], str | None]:
    """Parents from a mergekit configuration (``models``, ``slices[].sources``, ``base_model``)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [], f"{where} is not valid YAML: {str(exc).splitlines()[0]}"
    if not isinstance(data, Mapping):
        return [], None
    method = data.get("merge_method")
    parents = list(dict.fromkeys(p for raw in _mergekit_models(data) if (p := _plausible_id(raw, model_id))))
    detail = f"{where}" + (f" merge_method {method}" if isinstance(method, str) else "") + f": {', '.join(parents)}"
    return [Inferred(p, Relation.MERGE, EvidenceKind.MERGEKIT_CONFIG, detail, 0.9) for p in parents], None


def _flatten(prefix: str, value: object, out: dict[str, object]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list) and prefix.endswith("base_model"):
        for index, inner in enumerate(value):
            _flatten(f"{prefix}.{index}", inner, out)
    else:
        out[prefix] = value


def from_gguf(gguf: object, model_id: str, *, hosts: Sequence[str] = ()) -> list[Inferred]:
    """Parents from the ``gguf`` field: ``general.source.*`` (the converted repo), else ``general.base_model.*``."""
    if not isinstance(gguf, Mapping):
        return []
    flat: dict[str, object] = {}
    _flatten("", gguf, flat)
    source_found: list[Inferred] = []
    repo = flat.get("general.source.huggingface.repository")
    if isinstance(repo, str) and (parent := _plausible_id(repo, model_id)):
        detail = f"GGUF general.source.huggingface.repository {repo}"
        source_found.append(Inferred(parent, Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, detail, 0.85))
    url = flat.get("general.source.repo_url")
    if not source_found and isinstance(url, str):
        for parent in hub_model_links(url, model_id, hosts=hosts):
            detail = f"GGUF general.source.repo_url {url}"
            source_found.append(Inferred(parent, Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, detail, 0.85))
    if source_found:
        return source_found
    found: list[Inferred] = []
    keys = sorted(key for key in flat if re.fullmatch(r"general\.base_model\.\d+\.repo_url", key))
    for key in keys:
        value = flat[key]
        if isinstance(value, str):
            for parent in hub_model_links(value, model_id, hosts=hosts):
                found.append(
                    Inferred(parent, Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, f"GGUF {key} {value}", 0.75)
                )
    return found


def from_config_json(config: Mapping[str, Any] | str, model_id: str, relation: Relation) -> list[Inferred]:
    """Parent from config.json ``_name_or_path`` (local paths and the model itself are ignored)."""
    data: object = config
    if isinstance(config, str):
        try:
            data = json.loads(config)
        except ValueError:
            return []
    if not isinstance(data, Mapping):
        return []
    raw = data.get("_name_or_path")
    if not isinstance(raw, str):
        return []
    parent = _plausible_id(raw, model_id)
    if parent is None:
        return []
    detail = f"config.json _name_or_path {raw}"
    return [Inferred(parent, relation, EvidenceKind.CONFIG_NAME_OR_PATH, detail, 0.5)]


_HF_LINK = re.compile(r"https?://(?:www\.)?(?P<host>[\w.\-]+(?::\d+)?)/(?P<path>[\w.\-]+/[\w.\-]+)")


def hub_model_links(text: str, model_id: str, *, hosts: Sequence[str] = ()) -> list[str]:
    """Model ids linked from ``text`` as ``https://huggingface.co/<org>/<name>`` (or ``hosts``)."""
    allowed = {"huggingface.co", "hf.co", *(host.lower() for host in hosts)}
    found: list[str] = []
    for match in _HF_LINK.finditer(text):
        if match.group("host").lower() not in allowed:
            continue
        path = match.group("path")
        if path.split("/", 1)[0].lower() in _NOT_MODEL_PATHS:
            continue
        parent = _plausible_id(path, model_id)
        if parent is not None and parent not in found:
            found.append(parent)
    return found


_ORIGINAL = re.compile(r"(?im)original\s+model\s*[:：]\s*(?P<rest>[^\n]{0,300})")
_QUANTIZED_OF = re.compile(
    r"(?i)(?:quanti[sz]ed\s+(?:version|model)s?|quanti[sz]ations?|conversions?|converted\s+version)\s+of\s+"
    r"(?P<rest>[^\n]{0,300})"
)
_BARE_ID = re.compile(r"(?<![\w/.\-])([A-Za-z0-9][\w.\-]*/[\w.\-]*[\w])")


def _ids_in_fragment(fragment: str, model_id: str, hosts: Sequence[str]) -> list[str]:
    linked = hub_model_links(fragment, model_id, hosts=hosts)
    if linked:
        return linked[:1]
    if "://" in fragment:
        return []
    for match in _BARE_ID.finditer(fragment):
        parent = _plausible_id(match.group(1), model_id)
        if parent is not None:
            return [parent]
    return []


def from_card_text(text: str, model_id: str, relation: Relation, *, hosts: Sequence[str] = ()) -> list[Inferred]:
    """Parents named by card prose: "Original model: X", "quantized version of X", or one linked model."""
    found: list[Inferred] = []
    for match in _ORIGINAL.finditer(text):
        for parent in _ids_in_fragment(match.group("rest"), model_id, hosts):
            line = match.group(0).strip()
            found.append(Inferred(parent, relation, EvidenceKind.CARD_TEXT, f"card text: {line[:200]}", 0.8))
    for match in _QUANTIZED_OF.finditer(text):
        for parent in _ids_in_fragment(match.group("rest"), model_id, hosts):
            line = match.group(0).strip()
            found.append(
                Inferred(parent, Relation.QUANTIZED, EvidenceKind.CARD_TEXT, f"card text: {line[:200]}", 0.8)
            )
    if found:
        unique: dict[str, Inferred] = {}
        for item in found:
            unique.setdefault(item.parent_id.lower(), item)
        return list(unique.values())
    links = hub_model_links(text, model_id, hosts=hosts)
    if len(links) == 1:
        detail = f"card text links one model page: {links[0]}"
        return [Inferred(links[0], relation, EvidenceKind.CARD_TEXT, detail, 0.4)]
    return []


CARD_LINK_FIELDS: tuple[str, ...] = ("model_link",)


def from_card_fields(
    card: Mapping[str, Any], model_id: str, relation: Relation, *, hosts: Sequence[str] = ()
) -> list[Inferred]:
    """Parents named by card fields that point at the original model (``model_link``: a URL or an id)."""
    found: list[Inferred] = []
    for key in CARD_LINK_FIELDS:
        value = card.get(key)
        if not isinstance(value, str):
            continue
        for parent in _ids_in_fragment(value, model_id, hosts):
            found.append(Inferred(parent, relation, EvidenceKind.CARD_TEXT, f"card field {key}: {value[:200]}", 0.8))
    return found


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(YAML front matter or None, body) of a model card."""
    stripped = text.lstrip("\ufeff")
    if not stripped.startswith("---"):
        return None, stripped
    lines = stripped.split("\n")
    if lines[0].strip() != "---":
        return None, stripped
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    return None, stripped


def mergekit_blocks(body: str) -> list[str]:
    """YAML code blocks in a card body that look like mergekit configurations."""
    blocks = re.findall(r"```ya?ml\s*\n(.*?)```", body, flags=re.DOTALL | re.IGNORECASE)
    return [block for block in blocks if re.search(r"(?m)^(models|slices|merge_method)\s*:", block)]


def name_pattern_base(model_id: str) -> tuple[str, str] | None:
    """(base repo name, quant token) for names like ``Org/Base-Name-GGUF``; None if no quant suffix."""
    _, _, name = model_id.partition("/")
    if not name:
        return None
    base = name
    token = None
    while True:
        match = _QUANT_SUFFIX.search(base)
        if match is None:
            break
        token = token or match.group(1)
        base = base[: match.start()]
    if token is None or not base:
        return None
    return base, token.upper()

