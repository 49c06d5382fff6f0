"""Shape stored model / space payloads into what each Hub endpoint returns.

A stored model payload is the superset the snapshot knows (siblings with LFS metadata,
``inferenceProviderMapping`` as a dict …). Each endpoint shows a subset:

* ``GET /api/models/{id}``: the default keys below; siblings reduced to ``rfilename`` unless
  ``blobs=true``; ``securityRepoStatus`` only with ``securityStatus=true``.
* ``GET /api/models``: the short list item, more with ``full``/``cardData``/``config``.
* ``expand=…`` (either endpoint): only the requested keys plus ``_id`` and ``id``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import yaml

from hubreplay.serve.settings import MalformedMode
from hubreplay.snapshot.hubshape import render_card, split_card

__all__ = [
    "LIST_REFUSED_EXPAND",
    "MODEL_EXPAND_KEYS",
    "SPACE_EXPAND_KEYS",
    "BadQueryError",
    "ExpandError",
    "break_card_data",
    "break_readme",
    "check_expand",
    "list_item",
    "model_info",
    "space_item",
]

MODEL_EXPAND_KEYS: Final = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled", "downloads",
        "downloadsAllTime", "evalResults", "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified",
        "library_name", "likes", "mask_token", "model-index", "pipeline_tag", "private", "resourceGroup",
        "safetensors", "sha", "siblings", "spaces", "tags", "transformersInfo", "trendingScore", "usedStorage",
        "widgetData",
    }
)  # fmt: skip
LIST_REFUSED_EXPAND: Final = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
SPACE_EXPAND_KEYS: Final = frozenset(
    {
        "author", "cardData", "createdAt", "datasets", "disabled", "lastModified", "likes", "models", "private",
        "region", "resourceGroup", "runtime", "sdk", "sha", "siblings", "subdomain", "tags", "trendingScore",
        "usedStorage",
    }
)  # fmt: skip

# Keys of a default model_info answer (as in the recorded bodies); everything else needs `expand`.
INFO_DEFAULT_KEYS: Final = frozenset(
    {
        "_id", "id", "modelId", "author", "sha", "lastModified", "createdAt", "private", "gated", "disabled",
        "downloads", "likes", "library_name", "pipeline_tag", "mask_token", "tags", "widgetData", "model-index",
        "config", "cardData", "transformersInfo", "siblings", "spaces", "safetensors", "inference", "usedStorage",
        "gguf",
    }
)  # fmt: skip
LIST_DEFAULT_KEYS: Final = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
    "createdAt", "modelId",
)  # fmt: skip
LIST_FULL_KEYS: Final = ("author", "sha", "lastModified", "gated", "disabled", "inference", "siblings")
SPACE_LIST_DEFAULT_KEYS: Final = ("_id", "id", "likes", "trendingScore", "private", "sdk", "tags", "createdAt")

ChildrenCounter = Callable[[str], dict[str, int]]
IdLookup = Callable[[str], str | None]


class BadQueryError(ValueError):
    """A query parameter the endpoint refuses (answered with HTTP 400)."""


class ExpandError(BadQueryError):
    """An ``expand`` value the endpoint refuses."""


def check_expand(values: Sequence[str], allowed: frozenset[str], refused: frozenset[str] = frozenset()) -> list[str]:
    """Validate ``expand`` values (repeated params, or one comma-separated value)."""
    keys: list[str] = []
    for value in values:
        keys.extend(part for part in value.split(",") if part)
    for key in keys:
        if key in refused:
            raise ExpandError(f'"expand" cannot contain "{key}" when listing')
        if key not in allowed:
            raise ExpandError(f'"expand" must be one of {", ".join(sorted(allowed))}; got "{key}"')
    return keys


def _siblings(siblings: Any, *, blobs: bool) -> Any:
    if not isinstance(siblings, list):
        return siblings
    if blobs:
        return siblings
    return [{"rfilename": s["rfilename"]} for s in siblings if isinstance(s, dict) and "rfilename" in s]


def _provider_list(mapping: Any) -> Any:
    if isinstance(mapping, dict):
        return [{"provider": provider, **value} for provider, value in mapping.items() if isinstance(value, dict)]
    return mapping


def _base_models(info: Mapping[str, Any], id_of: IdLookup) -> dict[str, Any] | None:
    relation: str | None = None
    models: list[dict[str, Any]] = []
    for tag in info.get("tags") or ():
        parts = tag.split(":", 2) if isinstance(tag, str) else []
        if len(parts) == 3 and parts[0] == "base_model":
            relation = relation or parts[1]
            entry: dict[str, Any] = {}
            parent_oid = id_of(parts[2])
            if parent_oid:
                entry["_id"] = parent_oid
            entry["id"] = parts[2]
            models.append(entry)
    if not models:
        return None
    return {"relation": relation, "models": models}


def _expanded(
    info: Mapping[str, Any],
    keys: Iterable[str],
    *,
    listing: bool,
    children: ChildrenCounter | None,
    id_of: IdLookup | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "_id" in info:
        out["_id"] = info["_id"]
    out["id"] = info["id"]
    for key in keys:
        if key == "childrenModelCount" and children is not None:
            out[key] = children(str(info["id"]))
        elif key == "baseModels" and id_of is not None:
            base = _base_models(info, id_of)
            if base is not None:
                out[key] = base
        elif key == "siblings" and key in info:
            out[key] = _siblings(info[key], blobs=False)
        elif key == "inferenceProviderMapping" and key in info:
            out[key] = _provider_list(info[key]) if listing else info[key]
        elif key in info:
            out[key] = info[key]
    return out


def model_info(
    info: Mapping[str, Any],
    *,
    expand: Sequence[str] = (),
    blobs: bool = False,
    security: bool = False,
    children: ChildrenCounter | None = None,
    id_of: IdLookup | None = None,
) -> dict[str, Any]:
    """The answer of ``GET /api/models/{id}`` for a stored payload."""
    if expand:
        return _expanded(info, expand, listing=False, children=children, id_of=id_of)
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key == "siblings":
            out[key] = _siblings(value, blobs=blobs)
        elif key in INFO_DEFAULT_KEYS or (security and key == "securityRepoStatus"):
            out[key] = value
    return out


def list_item(
    info: Mapping[str, Any],
    *,
    expand: Sequence[str] = (),
    full: bool = False,
    card_data: bool = False,
    config: bool = False,
) -> dict[str, Any]:
    """One item of ``GET /api/models``."""
    if expand:
        return _expanded(info, expand, listing=True, children=None, id_of=None)
    keys: list[str] = list(LIST_DEFAULT_KEYS)
    if full:
        keys.extend(LIST_FULL_KEYS)
    if card_data:
        keys.append("cardData")
    if config:
        keys.append("config")
    out: dict[str, Any] = {}
    for key in keys:
        if key in info:
            out[key] = _siblings(info[key], blobs=False) if key == "siblings" else info[key]
    return out


def space_item(info: Mapping[str, Any], *, expand: Sequence[str] = (), full: bool = False) -> dict[str, Any]:
    """One item of ``GET /api/spaces`` (``full`` or ``expand`` for more than the short form)."""
    if expand:
        return _expanded(info, expand, listing=True, children=None, id_of=None)
    if full:
        return dict(info)
    return {key: info[key] for key in SPACE_LIST_DEFAULT_KEYS if key in info}


# -- malformed cards (fault injection) ----------------------------------------------------------


def break_card_data(info: dict[str, Any], mode: MalformedMode) -> dict[str, Any]:
    """The payload as the Hub would show it with a broken card (``info`` is modified and returned)."""
    if mode == "yaml":
        info.pop("cardData", None)
        return info
    card = info.get("cardData")
    card = copy.deepcopy(card) if isinstance(card, dict) else {}
    card["base_model"] = {"model": card.get("base_model")}
    info["cardData"] = card
    return info


def break_readme(readme: bytes | None, card_data: Mapping[str, Any] | None, mode: MalformedMode) -> bytes:
    """A broken ``README.md`` (from the stored one, or rendered from the card data when none is stored)."""
    text = readme.decode("utf-8", errors="replace") if readme is not None else render_card(card_data or {}, "")
    front, body = split_card(text)
    data: dict[str, Any] = {}
    if front is not None:
        try:
            loaded = yaml.safe_load(front)
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            data = loaded
    elif card_data:
        data = dict(card_data)
    if mode == "yaml":
        broken_front = (front if front is not None else "") + 'base_model: [unclosed, "quote\n  : - bad indent\n'
        return f"---\n{broken_front}---\n{body}".encode()
    data["base_model"] = {"model": data.get("base_model")}
    return render_card(data, body).encode("utf-8")
