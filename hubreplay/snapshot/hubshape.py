"""Render facts the way the Hub shows them: computed tags, card files, git ids.

The Hub computes some fields from a repo's card and files instead of storing what the author
wrote; snapshot builders (the bundled real snapshot, synthetic families, test fixtures) use
these helpers so that derived fields are computed exactly one way:

* ``base_model:<id>`` and ``base_model:<relation>:<id>`` tags, one pair per declared base model
  (hub-docs ``model-cards.md``: the relation is ``base_model_relation`` when the card sets it,
  otherwise inferred by the Hub from the repo: adapter files → adapter, quantized weights →
  quantized, several base models → merge, else finetune);
* ``license:<id>`` tags, one per licence id of the card (after a card change, the derived tags are
  replaced where the old ones stood: :func:`with_license_tags`, :func:`with_base_model_tags`);
* ``README.md`` = YAML front matter of the card data + the card body;
* git blob ids (the ``ETag`` of a non-LFS file) and LFS pointer sizes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import yaml

__all__ = [
    "RELATIONS",
    "base_model_tags",
    "git_blob_id",
    "hub_relation",
    "is_quantized_name",
    "lfs_pointer_size",
    "license_tags",
    "merge_tags",
    "render_card",
    "split_card",
    "with_base_model_tags",
    "with_license_tags",
]

RELATIONS: Final = ("adapter", "merge", "quantized", "finetune")

_QUANTIZED_MARKERS: Final = (
    "gguf",
    "ggml",
    "gptq",
    "awq",
    "exl2",
    "exl3",
    "bnb-4bit",
    "bnb-8bit",
    "mlx",
    "4bit",
    "8bit",
)


def hub_relation(
    *,
    declared: str | None,
    parents: Sequence[str],
    file_names: Iterable[str] = (),
    repo_id: str = "",
) -> str:
    """The relation the Hub puts in ``base_model:<relation>:<id>`` tags.

    ``declared`` (the card's ``base_model_relation``) wins when it is one of the four relations;
    otherwise: adapter files → ``adapter``; quantized weight files → ``quantized``; several base
    models → ``merge``; else ``finetune``.
    """
    if declared in RELATIONS:
        return declared
    names = [name.lower() for name in file_names]
    if any(name.endswith(("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")) for name in names):
        return "adapter"
    if any(name.endswith((".gguf", ".ggml")) for name in names):
        return "quantized"
    if len(parents) > 1:
        return "merge"
    del repo_id  # the Hub looks at files, not at names
    return "finetune"


def is_quantized_name(repo_id: str) -> bool:
    """Whether a repo name carries a quantization marker (GGUF, GPTQ, AWQ, EXL2, MLX, bnb-4bit …)."""
    lowered = repo_id.lower()
    return any(marker in lowered for marker in _QUANTIZED_MARKERS)


def base_model_tags(parents: Sequence[str], relation: str) -> list[str]:
    """``base_model:<id>`` then ``base_model:<relation>:<id>`` for each parent, in card order."""
    tags: list[str] = []
    for parent in parents:
        tags.append(f"base_model:{parent}")
    for parent in parents:
        tags.append(f"base_model:{relation}:{parent}")
    return tags


def license_tags(license_value: str | Sequence[str] | None) -> list[str]:
    """``license:<id>`` tags for a card's ``license`` (a string or a list of ids)."""
    if license_value is None:
        return []
    values = [license_value] if isinstance(license_value, str) else list(license_value)
    return [f"license:{value}" for value in values if isinstance(value, str) and value]


def merge_tags(*groups: Iterable[str]) -> list[str]:
    """Concatenate tag groups, keeping the first occurrence of each tag."""
    seen: set[str] = set()
    merged: list[str] = []
    for group in groups:
        for tag in group:
            if tag not in seen:
                seen.add(tag)
                merged.append(tag)
    return merged


def with_license_tags(tags: Sequence[str], license_value: str | Sequence[str] | None) -> list[str]:
    """``tags`` after the card's licence became ``license_value``: the ``license:`` tags replaced in place."""
    return _replaced(tags, lambda tag: tag.startswith("license:"), license_tags(license_value))


def with_base_model_tags(tags: Sequence[str], parents: Sequence[str], relation: str) -> list[str]:
    """``tags`` after the card's base models became ``parents``: the ``base_model:`` tags replaced in place."""
    return _replaced(tags, lambda tag: tag.startswith("base_model:"), base_model_tags(parents, relation))


def _replaced(tags: Sequence[str], is_old: Callable[[str], bool], new: Sequence[str]) -> list[str]:
    """Drop the tags ``is_old`` selects and put ``new`` where the first of them stood (else before the
    ``region:`` tags the Hub puts last, else at the end)."""
    position = next((k for k, tag in enumerate(tags) if is_old(tag)), None)
    if position is None:
        position = next((k for k, tag in enumerate(tags) if tag.startswith("region:")), len(tags))
    before = [tag for tag in tags[:position] if not is_old(tag)]
    after = [tag for tag in tags[position:] if not is_old(tag)]
    return merge_tags(before, new, after)


def render_card(card_data: Mapping[str, Any] | None, body: str = "") -> str:
    """A ``README.md``: the card data as YAML front matter, then the body."""
    parts: list[str] = []
    if card_data:
        front = yaml.safe_dump(dict(card_data), sort_keys=False, allow_unicode=True, default_flow_style=False)
        parts.append(f"---\n{front}---\n")
    if body:
        parts.append(body if body.endswith("\n") else body + "\n")
    return "\n".join(parts) if len(parts) == 2 else "".join(parts)


def split_card(text: str) -> tuple[str | None, str]:
    """Split a ``README.md`` into (front matter YAML text or None, body)."""
    if not text.startswith("---"):
        return None, text
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    return None, text


def git_blob_id(content: bytes) -> str:
    """The git object id of a blob (what the Hub returns as ``ETag`` / ``blobId`` for a non-LFS file)."""
    return hashlib.sha1(b"blob %d\x00" % len(content) + content, usedforsecurity=False).hexdigest()


def lfs_pointer_size(sha256: str, size: int) -> int:
    """Size in bytes of the git-lfs pointer file stored in git for an LFS object."""
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
    return len(pointer.encode("ascii"))
