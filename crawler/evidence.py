"""Gather inferred lineage for a model that declares none, fetching only small files, only when needed.

Steps, in order of strength; the walk stops once a step found a parent with confidence
≥ 0.75 (``STRONG``). Each file is fetched only if the repo lists it and it is under the cap;
when the hub gave no file list at all, README.md and config.json are probed (a 404 is then
not a problem).

1. ``adapter_config.json`` (fetched)                         → ADAPTER_CONFIG
2. ``mergekit_config.yml`` (fetched)                         → MERGEKIT_CONFIG
3. the ``gguf`` field already in the metadata (no request)   → GGUF_METADATA
   and card fields such as ``model_link`` (TheBloke's cards; no request) → CARD_TEXT
4. ``README.md`` (fetched, capped): YAML front matter the Hub could not read, mergekit
   blocks, "Original model: X", "quantized version of X", one linked model → CARD_TEXT
5. ``config.json`` ``_name_or_path`` (from the metadata, else fetched) → CONFIG_NAME_OR_PATH
   (or, when the JSON holds GGUF header fields ``general.*``, → GGUF_METADATA)
6. a quantized-name pattern (``…-GGUF``, ``…-AWQ``, ``…-bnb-4bit``) and one Hub search for
   the stripped name, accepted only when exactly one other repo has that exact name → NAME_PATTERN
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from huggingface_hub import ModelInfo

from crawler.errors import CrawlerError, FileNotFoundOnHubError, FileTooLargeError, RepoGatedError
from crawler.hubclient import HubClient
from crawler.inference import (
    Inferred,
    from_adapter_config,
    from_card_fields,
    from_card_text,
    from_config_json,
    from_gguf,
    from_mergekit_config,
    mergekit_blocks,
    name_pattern_base,
    quantized_format,
    split_front_matter,
    with_merge_rule,
)
from crawler.observations import DerivationSeen, EvidenceKind, ProblemKind, ProblemSeen, Relation, Source
from crawler.parsing import ParsedModel, declared_lineage
from crawler.settings import CrawlerSettings

__all__ = ["STRONG", "InferenceContext", "infer_lineage"]

STRONG = 0.75
_MERGEKIT_FILES = ("mergekit_config.yml", "mergekit_config.yaml")
_RELATION_FROM_HINT = frozenset({EvidenceKind.CARD_TEXT, EvidenceKind.CONFIG_NAME_OR_PATH, EvidenceKind.NAME_PATTERN})


@dataclass(frozen=True)
class InferenceContext:
    """What inference needs from the source: a client for small files and how to stamp sources."""

    client: HubClient
    settings: CrawlerSettings
    endpoint: str
    hosts: Sequence[str]
    source_for: Callable[[str, str | None], Source]


class _Gatherer:
    def __init__(
        self, context: InferenceContext, info: ModelInfo, parsed: ParsedModel, model_id: str, api_source: Source
    ) -> None:
        self.context = context
        self.info = info
        self.parsed = parsed
        self.model_id = model_id
        self.api_source = api_source
        self.revision = parsed.model.sha
        self.sizes = {f.name: f.size for f in parsed.files}
        self.names = set(parsed.sibling_names)
        # With no file list at all (not returned, or empty) the usual small files are probed; a 404 is then silent.
        self.probe = parsed.siblings_total == 0
        self.found: list[DerivationSeen] = []
        self.problems: list[ProblemSeen] = []
        self.gated = False  # after one gated refusal no other file of the repo is tried

    @property
    def best(self) -> float:
        return max((d.confidence for d in self.found), default=0.0)

    def file_source(self, filename: str) -> Source:
        rev = self.revision or "main"
        return self.context.source_for(f"{self.context.endpoint}/{self.model_id}/resolve/{rev}/{filename}", self.revision)

    def problem(self, kind: ProblemKind, message: str, source: Source | None = None) -> None:
        self.problems.append(ProblemSeen(self.model_id, kind, message, source or self.api_source))

    def add(self, items: list[Inferred], source: Source, note: str | None = None) -> None:
        for item in with_merge_rule(items):
            detail = item.detail
            if note is not None and item.kind in _RELATION_FROM_HINT:
                detail = f"{item.detail}; relation from {note}"
            self.found.append(
                DerivationSeen(self.model_id, item.parent_id, item.relation, item.kind, detail, item.confidence, source)
            )

    def read(self, filename: str, *, cap: int, truncate: bool = False, probe: bool = False) -> str | None:
        listed = filename in self.names
        if self.gated or not self.context.settings.fetch_files or not (listed or (probe and self.probe)):
            return None
        try:
            result = self.context.client.read_small_file(
                self.model_id, filename, revision=self.revision, size_hint=self.sizes.get(filename), cap=cap,
                truncate=truncate,
            )
        except FileTooLargeError as error:
            self.problem(ProblemKind.TOO_LARGE, f"{filename} not read: {error.message}", self.file_source(filename))
            return None
        except RepoGatedError as error:
            self.gated = True
            message = f"{filename} not read: the repo is gated ({error.message})"
            self.problem(ProblemKind.GATED, message, self.file_source(filename))
            return None
        except FileNotFoundOnHubError as error:
            if not listed:
                return None
            self.problem(ProblemKind.HUB_ERROR, f"{filename} is listed but missing: {error}", self.file_source(filename))
            return None
        except CrawlerError as error:
            self.problem(ProblemKind.HUB_ERROR, f"{filename} could not be fetched: {error}", self.file_source(filename))
            return None
        if result.truncated:
            message = f"{filename} is over {cap} bytes; only the first {cap} were read"
            self.problem(ProblemKind.TOO_LARGE, message, self.file_source(filename))
        return result.text


def infer_lineage(
    context: InferenceContext,
    info: ModelInfo,
    parsed: ParsedModel,
    model_id: str,
    hint: Relation | None,
    hint_reason: str | None,
    api_source: Source,
) -> tuple[list[DerivationSeen], list[ProblemSeen]]:
    """Inferred derivations (confidence < 1, except a card front matter the Hub missed) and problems."""
    g = _Gatherer(context, info, parsed, model_id, api_source)
    settings = context.settings
    relation = hint or Relation.FINETUNE

    text = g.read("adapter_config.json", cap=settings.max_file_bytes)
    if text is not None:
        items, problem = from_adapter_config(text, model_id)
        if problem is not None:
            g.problem(ProblemKind.INVALID_BASE_MODEL, problem, g.file_source("adapter_config.json"))
        g.add(items, g.file_source("adapter_config.json"))

    for filename in _MERGEKIT_FILES:
        if g.best >= STRONG:
            break
        text = g.read(filename, cap=settings.max_file_bytes)
        if text is not None:
            items, problem = from_mergekit_config(text, model_id, where=filename)
            if problem is not None:
                g.problem(ProblemKind.MALFORMED_CARD, problem, g.file_source(filename))
            g.add(items, g.file_source(filename))

    if g.best < STRONG and info.gguf:
        g.add(from_gguf(info.gguf, model_id, hosts=context.hosts), api_source)

    if g.best < STRONG and parsed.card is not None:
        g.add(from_card_fields(parsed.card, model_id, relation, hosts=context.hosts), api_source, hint_reason)

    if g.best < STRONG:
        _from_readme(g, relation, hint_reason)

    if g.best < STRONG:
        config = info.config if isinstance(info.config, Mapping) else None
        items = from_config_json(config, model_id, relation) if config is not None else []
        source = api_source
        if not items:
            text = g.read("config.json", cap=settings.max_file_bytes, probe=True)
            if text is not None:
                source = g.file_source("config.json")
                items = from_config_json(text, model_id, relation) or _gguf_fields_in_json(text, model_id, context.hosts)
        g.add(items, source, hint_reason)

    if not g.found and settings.name_search:
        _from_name(g, hint_reason)
    return g.found, g.problems


def _gguf_fields_in_json(text: str, model_id: str, hosts: Sequence[str]) -> list[Inferred]:
    """GGUF header fields (``general.*``) some repos copy into a JSON file."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, Mapping) or not any(str(key).startswith("general.") for key in data):
        return []
    return from_gguf(data, model_id, hosts=hosts)


def _from_readme(g: _Gatherer, relation: Relation, hint_reason: str | None) -> None:
    text = g.read("README.md", cap=g.context.settings.max_card_bytes, truncate=True, probe=True)
    if text is None:
        return
    source = g.file_source("README.md")
    front, body = split_front_matter(text)
    if front is None and text.lstrip("\ufeff").startswith("---"):
        g.problem(ProblemKind.MALFORMED_CARD, "README.md front matter is not closed by a '---' line", source)
    elif front is not None and g.parsed.card is None:
        try:
            data: Any = yaml.safe_load(front)
        except yaml.YAMLError as exc:
            g.problem(ProblemKind.MALFORMED_CARD, f"README.md front matter is not valid YAML: {str(exc).splitlines()[0]}", source)
            data = None
        if data is not None and not isinstance(data, Mapping):
            g.problem(ProblemKind.MALFORMED_CARD, "README.md front matter is not a mapping", source)
        elif isinstance(data, Mapping) and data.get("base_model") is not None:
            declared = declared_lineage(g.model_id, data, None, source, fallback_relation=relation)
            g.found.extend(declared.derivations)
            g.problems.extend(declared.problems)
            if g.found:
                return
    for block in mergekit_blocks(body):
        items, _ = from_mergekit_config(block, g.model_id, where="README.md mergekit configuration")
        g.add(items, source)
    if g.best >= STRONG:
        return
    g.add(from_card_text(body, g.model_id, relation, hosts=g.context.hosts), source, hint_reason)


def _from_name(g: _Gatherer, hint_reason: str | None) -> None:
    pattern = name_pattern_base(g.model_id)
    if pattern is None:
        return
    base, token = pattern
    url = f"{g.context.endpoint}/api/models?search={base}"
    source = g.context.source_for(url, None)
    try:
        candidates = [
            str(info.id)
            for info in g.context.client.iter_models(what="name_search", search=base, limit=50, expand=["sha"])
        ]
    except CrawlerError as error:
        g.problem(ProblemKind.HUB_ERROR, f"name search for {base!r} failed: {error}", source)
        return
    exact = [
        cid for cid in candidates
        if cid.lower() != g.model_id.lower()
        and cid.partition("/")[2].lower() == base.lower()
        and quantized_format(cid, [], None, None) is None
    ]  # fmt: skip
    if len(exact) != 1:
        return
    detail = f"name {g.model_id} is {base} + {token}; the only other repo named {base} is {exact[0]}"
    g.add([Inferred(exact[0], Relation.QUANTIZED, EvidenceKind.NAME_PATTERN, detail, 0.3)], source, hint_reason)
