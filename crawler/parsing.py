"""Turn one model as the Hub describes it (a ``huggingface_hub.ModelInfo``) into observations.

Pure functions, no I/O: the source fetches, this module reads. Declared lineage comes
from two places that can disagree — the card's ``base_model`` (+ ``base_model_relation``)
and the Hub-computed tags ``base_model:<relation>:<id>`` / ``base_model:<id>`` — and each
piece of evidence becomes its own :class:`DerivationSeen` (confidence 1.0). Bad values
(wrong types, invalid ids, self-references) become :class:`ProblemSeen`, never exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from huggingface_hub import ModelInfo
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]  # documented public path

from crawler.licenses import read_declared_license
from crawler.observations import (
    DerivationSeen,
    EvidenceKind,
    FileSeen,
    GateState,
    KnownFrom,
    ModelSeen,
    ModelStatus,
    ProblemKind,
    ProblemSeen,
    Relation,
    Source,
)

__all__ = [
    "DECLARABLE_RELATIONS",
    "DeclaredLineage",
    "ParsedModel",
    "TagBase",
    "card_mapping",
    "check_repo_id",
    "declared_lineage",
    "gate_state",
    "parse_model",
    "parse_relation",
    "tag_bases",
]

DECLARABLE_RELATIONS: frozenset[Relation] = frozenset(
    {Relation.FINETUNE, Relation.ADAPTER, Relation.MERGE, Relation.QUANTIZED}
)
_MAX_DETAIL = 300


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def check_repo_id(candidate: object) -> str | None:
    """The reason ``candidate`` is not a valid Hub model id, or None when it is valid."""
    if not isinstance(candidate, str):
        return f"not a string: {_short(candidate)}"
    if candidate != candidate.strip() or not candidate:
        return f"blank or padded id {candidate!r}"
    if candidate.count("/") > 1:
        return f"{candidate!r} has more than one '/'"
    try:
        validate_repo_id(candidate)
    except HFValidationError as exc:
        return f"{candidate!r}: {str(exc).splitlines()[0]}"
    return None


def parse_relation(value: object) -> Relation | None:
    """A declared relation (``finetune|adapter|merge|quantized``), or None if absent/invalid."""
    if not isinstance(value, str):
        return None
    try:
        relation = Relation(value.strip().lower())
    except ValueError:
        return None
    return relation if relation in DECLARABLE_RELATIONS else None


def gate_state(value: object) -> GateState | None:
    """The Hub's ``gated`` field (``false | "auto" | "manual"``) as a GateState."""
    if value is False or value == "false":
        return GateState.OPEN
    if value == "auto":
        return GateState.AUTO
    if value == "manual" or value is True:
        return GateState.MANUAL
    return None


def card_mapping(card_data: object) -> tuple[Mapping[str, Any] | None, str | None]:
    """The card data as a plain mapping, or (None, reason) when it is not one."""
    if card_data is None:
        return None, None
    if isinstance(card_data, Mapping):
        return card_data, None
    raw = getattr(card_data, "__dict__", None)
    if isinstance(raw, dict) and hasattr(card_data, "to_dict"):
        return raw, None
    return None, f"cardData is a {type(card_data).__name__}, not a mapping: {_short(card_data)}"


@dataclass(frozen=True, slots=True)
class TagBase:
    """One ``base_model:`` tag: the parent id and the relation it names (None for the bare form)."""

    parent_id: str
    relation: Relation | None
    tag: str


def tag_bases(tags: Iterable[str]) -> tuple[list[TagBase], list[str]]:
    """Parse ``base_model:<relation>:<id>`` and ``base_model:<id>`` tags; returns (bases, bad tags)."""
    bases: list[TagBase] = []
    bad: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        head, sep, tail = rest.partition(":")
        if sep:
            relation = parse_relation(head)
            if relation is None or check_repo_id(tail) is not None:
                bad.append(tag)
                continue
            bases.append(TagBase(tail, relation, tag))
        elif check_repo_id(rest) is None:
            bases.append(TagBase(rest, None, tag))
        else:
            bad.append(tag)
    return bases, bad


@dataclass
class DeclaredLineage:
    """What a card and its tags declare about a model's parents."""

    derivations: list[DerivationSeen] = field(default_factory=list)
    problems: list[ProblemSeen] = field(default_factory=list)
    card_parents: list[str] = field(default_factory=list)
    tag_parents: list[str] = field(default_factory=list)

    @property
    def parents(self) -> list[str]:
        """Every distinct parent id named by any declared evidence, tags first."""
        seen: dict[str, None] = {}
        for parent in (*self.tag_parents, *self.card_parents):
            seen.setdefault(parent, None)
        return list(seen)


def _card_base_ids(raw: object, model_id: str, source: Source, out: DeclaredLineage) -> list[str]:
    """Valid parent ids from ``cardData.base_model`` (a string or a flat list of strings)."""
    if raw is None:
        return []
    items: Sequence[object]
    if isinstance(raw, str):
        items = [raw]
    elif isinstance(raw, list):
        items = raw
    else:
        out.problems.append(
            ProblemSeen(
                model_id,
                ProblemKind.INVALID_BASE_MODEL,
                f"cardData.base_model must be a string or a list of strings, got {type(raw).__name__}: {_short(raw)}",
                source,
            )
        )
        return []
    ids: list[str] = []
    for item in items:
        if not isinstance(item, str):
            out.problems.append(
                ProblemSeen(
                    model_id,
                    ProblemKind.INVALID_BASE_MODEL,
                    f"cardData.base_model entry is a {type(item).__name__}, not an id: {_short(item)}",
                    source,
                )
            )
            continue
        reason = check_repo_id(item)
        if reason is not None:
            out.problems.append(
                ProblemSeen(model_id, ProblemKind.INVALID_REPO_ID, f"cardData.base_model: {reason}", source)
            )
            continue
        if item not in ids:
            ids.append(item)
    return ids


def declared_lineage(
    model_id: str,
    card: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
    source: Source,
    *,
    fallback_relation: Relation,
) -> DeclaredLineage:
    """Declared parents from card and tags, one DerivationSeen per piece of evidence.

    Relation of a card parent: ``base_model_relation`` if the card declares one, else the
    relation the Hub's tags give (the Hub computes them from this card), else
    ``fallback_relation`` (the inferred one). Disagreement between the card's parents and
    the tags' parents is a ``CARD_TAG_DISAGREE`` problem; both are kept as evidence.
    """
    out = DeclaredLineage()
    bases, bad_tags = tag_bases(tags or ())
    for tag in bad_tags:
        out.problems.append(ProblemSeen(model_id, ProblemKind.INVALID_BASE_MODEL, f"unreadable tag {tag!r}", source))
    raw_base = card.get("base_model") if card is not None else None
    raw_relation = card.get("base_model_relation") if card is not None else None
    card_relation = parse_relation(raw_relation)
    if raw_relation is not None and card_relation is None:
        out.problems.append(
            ProblemSeen(
                model_id,
                ProblemKind.INVALID_BASE_MODEL,
                f"cardData.base_model_relation {_short(raw_relation)} is not one of adapter, merge, quantized, finetune",
                source,
            )
        )
    card_ids = _card_base_ids(raw_base, model_id, source, out)

    tag_relations: dict[str, Relation] = {}
    for base in bases:
        if base.relation is not None:
            tag_relations.setdefault(base.parent_id.lower(), base.relation)
    distinct_tag_relations = set(tag_relations.values())
    hub_relation = next(iter(distinct_tag_relations)) if len(distinct_tag_relations) == 1 else None

    model_key = model_id.lower()
    emitted_tag_parents: set[str] = set()
    for base in bases:
        key = base.parent_id.lower()
        if key == model_key:
            out.problems.append(
                ProblemSeen(model_id, ProblemKind.SELF_REFERENCE, f"tag {base.tag!r} names the model itself", source)
            )
            continue
        if base.relation is None and key in tag_relations:
            continue  # the bare tag repeats a relation tag for the same parent
        if key in emitted_tag_parents:
            continue
        emitted_tag_parents.add(key)
        relation = base.relation or card_relation or fallback_relation
        detail = f"tag {base.tag}" if base.relation is not None else f"tag {base.tag} (relation {relation.value} not in tags)"
        out.derivations.append(
            DerivationSeen(model_id, base.parent_id, relation, EvidenceKind.HUB_TAG, detail, 1.0, source)
        )
        out.tag_parents.append(base.parent_id)

    for parent in card_ids:
        key = parent.lower()
        if key == model_key:
            out.problems.append(
                ProblemSeen(model_id, ProblemKind.SELF_REFERENCE, "cardData.base_model names the model itself", source)
            )
            continue
        declared = card_relation or tag_relations.get(key) or hub_relation
        relation = declared or (Relation.MERGE if len(card_ids) > 1 else fallback_relation)
        detail = f"cardData.base_model {_short(raw_base)}"
        if card_relation is not None:
            detail += f"; base_model_relation {card_relation.value}"
        out.derivations.append(
            DerivationSeen(model_id, parent, relation, EvidenceKind.CARD_BASE_MODEL, detail, 1.0, source)
        )
        out.card_parents.append(parent)

    card_keys = {parent.lower() for parent in card_ids if parent.lower() != model_key}
    tag_keys = {parent.lower() for parent in out.tag_parents}
    if card_keys and tags is not None and card_keys != tag_keys:
        told = ", ".join(sorted(out.tag_parents)) or "no base model"
        out.problems.append(
            ProblemSeen(
                model_id,
                ProblemKind.CARD_TAG_DISAGREE,
                f"card base_model {', '.join(sorted(card_ids))} but tags say {told}",
                source,
            )
        )
    return out


@dataclass
class ParsedModel:
    """Everything read from one model's metadata, before inference."""

    model: ModelSeen
    files: list[FileSeen]
    declared: DeclaredLineage
    problems: list[ProblemSeen]
    card: Mapping[str, Any] | None
    sibling_names: list[str]
    siblings_total: int


def _datasets(card: Mapping[str, Any] | None, tags: Sequence[str]) -> tuple[str, ...]:
    from_tags = [tag[len("dataset:") :] for tag in tags if tag.startswith("dataset:")]
    if from_tags:
        return tuple(dict.fromkeys(from_tags))
    raw = card.get("datasets") if card is not None else None
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(dict.fromkeys(item for item in raw if isinstance(item, str)))
    return ()


SAFETENSORS_TOTAL = "safetensors total"
GGUF_TOTAL = "gguf total"


def _params(info: ModelInfo) -> tuple[int | None, str | None]:
    """The parameter count the Hub lists for the weights, and which listing it is.

    Only the Hub's own totals (of the safetensors or GGUF files) count: the card YAML and the
    config carry no parameter count on the Hub, and a count read from the model's name is a guess.
    """
    if info.safetensors is not None and isinstance(info.safetensors.total, int):
        return info.safetensors.total, SAFETENSORS_TOTAL
    gguf = info.gguf
    if isinstance(gguf, Mapping) and isinstance(gguf.get("total"), int):
        return int(gguf["total"]), GGUF_TOTAL
    return None, None


def parse_model(
    info: ModelInfo,
    source: Source,
    *,
    model_id: str | None = None,
    fallback_relation: Relation = Relation.FINETUNE,
    max_siblings: int = 5000,
    files_source: Source | None = None,
    known_from: KnownFrom = KnownFrom.CRAWLED,
) -> ParsedModel:
    """Read one ModelInfo (from model_info or a list_models item) into observations.

    ``model_id`` overrides ``info.id`` (used when the caller already resolved an alias).
    Siblings beyond ``max_siblings`` are counted but not turned into FileSeen. ``known_from``:
    ``LISTED`` for an item of a listing (what it says is all the graph will know of the model).
    """
    mid = model_id or info.id
    problems: list[ProblemSeen] = []
    card, card_problem = card_mapping(info.card_data)
    if card_problem is not None:
        problems.append(ProblemSeen(mid, ProblemKind.MALFORMED_CARD, card_problem, source))
    tags_raw = info.tags
    tags: list[str] | None = None
    if isinstance(tags_raw, list):
        tags = [tag for tag in tags_raw if isinstance(tag, str)]
    elif tags_raw is not None:
        problems.append(ProblemSeen(mid, ProblemKind.MALFORMED_CARD, f"tags is not a list: {_short(tags_raw)}", source))

    declared_license, disagreement = read_declared_license(card, tags or ())
    if disagreement is not None:
        problems.append(ProblemSeen(mid, ProblemKind.CARD_TAG_DISAGREE, disagreement, source))

    declared = declared_lineage(mid, card, tags, source, fallback_relation=fallback_relation)
    params, params_source = _params(info)

    author = info.author if isinstance(info.author, str) else (mid.split("/", 1)[0] if "/" in mid else None)
    model = ModelSeen(
        id=mid,
        source=source,
        status=ModelStatus.AVAILABLE,
        author=author,
        declared_license=declared_license,
        pipeline_tag=info.pipeline_tag if isinstance(info.pipeline_tag, str) else None,
        library=info.library_name if isinstance(info.library_name, str) else None,
        created_at=info.created_at,
        last_modified=info.last_modified,
        sha=info.sha if isinstance(info.sha, str) else None,
        downloads=info.downloads if isinstance(info.downloads, int) else None,
        likes=info.likes if isinstance(info.likes, int) else None,
        gated=gate_state(info.gated),
        params=params,
        params_source=params_source,
        tags=tuple(tags or ()),
        datasets=_datasets(card, tags or ()),
        known_from=known_from,
        license_recorded=tags_raw is not None or info.card_data is not None,
    )

    files: list[FileSeen] = []
    names: list[str] = []
    total = 0
    file_source = files_source or source
    for sibling in info.siblings or ():
        total += 1
        if total > max_siblings:
            continue
        name = sibling.rfilename
        names.append(name)
        sha256 = sibling.lfs.sha256 if sibling.lfs is not None else None
        size = sibling.size if sibling.size is not None else (sibling.lfs.size if sibling.lfs is not None else None)
        files.append(FileSeen(mid, name, size, sha256, file_source))
    if total > max_siblings:
        problems.append(
            ProblemSeen(
                mid, ProblemKind.TOO_LARGE, f"{total} files; only the first {max_siblings} were recorded", source
            )
        )
    return ParsedModel(model, files, declared, problems + declared.problems, card, names, total)
