"""List endpoints of the replay hub (``/api/models``, ``/api/spaces``) and their Link pagination.

The cursor is opaque to clients (base64 of an offset) and the next-page URL carries the whole
original query, exactly like the Hub's ``Link: <…&cursor=…>; rel="next"`` header, so
huggingface_hub's ``paginate()`` follows it without adding parameters.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from hubreplay.serve import responses
from hubreplay.serve.views import (
    LIST_REFUSED_EXPAND,
    MODEL_EXPAND_KEYS,
    SPACE_EXPAND_KEYS,
    BadQueryError,
    check_expand,
    list_item,
    space_item,
)
from hubreplay.snapshot.store import ModelEntry, Snapshot

__all__ = ["list_models", "list_spaces", "page_limit", "page_window", "paginate"]

_TRUE: Final = frozenset({"true", "1", "True"})
_SORT_KEYS: Final[dict[str, Callable[[ModelEntry], Any]]] = {
    "downloads": lambda e: e.downloads,
    "likes": lambda e: e.likes,
    "trendingScore": lambda e: e.trending_score,
    "createdAt": lambda e: e.created_at,
    "lastModified": lambda e: e.last_modified,
    "id": lambda e: e.id.lower(),
    "modelId": lambda e: e.id.lower(),
}
_SORT_ALIASES: Final = {"last_modified": "lastModified", "created_at": "createdAt", "trending_score": "trendingScore"}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadQueryError("invalid cursor") from exc
    kind, _, value = text.partition(":")
    if kind != "offset" or not value.isdigit():
        raise BadQueryError("invalid cursor")
    return int(value)


def page_limit(request: Request, max_page: int) -> int:
    """The ``limit`` query parameter (positive), capped at ``max_page``; ``max_page`` when absent."""
    raw = request.query_params.get("limit")
    if raw is None:
        return max_page
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadQueryError(f'"limit" must be an integer; got "{raw}"') from exc
    if value < 1:
        raise BadQueryError('"limit" must be positive')
    return min(value, max_page)


def page_window(
    request: Request, total: int, *, max_page: int, default_page: int | None = None
) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, headers) of the requested page; headers carry ``Link: <…>; rel="next"`` if more remain."""
    page_size = page_limit(request, max_page) if "limit" in request.query_params else (default_page or max_page)
    offset = _decode_cursor(request.query_params.get("cursor"))
    headers: dict[str, str] = {}
    if offset + page_size < total:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", _encode_cursor(offset + page_size)))
        base = str(request.url.replace(query=""))
        headers["Link"] = f'<{base}?{urlencode(params)}>; rel="next"'
    return offset, page_size, headers


def paginate(request: Request, items: Sequence[Any], *, max_page: int, default_page: int | None = None) -> Response:
    """One page of ``items`` (already shaped) with a ``Link`` header when more remain."""
    offset, size, headers = page_window(request, len(items), max_page=max_page, default_page=default_page)
    return responses.json_response(list(items[offset : offset + size]), headers=headers)


def _selected_models(snapshot: Snapshot, request: Request) -> list[ModelEntry]:
    params = request.query_params
    filters = params.getlist("filter")
    candidates: Iterable[ModelEntry]
    if filters:
        first = min(filters, key=lambda value: len(snapshot.ids_matching(value)))
        candidates = (snapshot.models[i] for i in snapshot.ids_matching(first))
    else:
        candidates = snapshot.iter_models()
    searches = [s.lower() for s in params.getlist("search") if s]
    author = (params.get("author") or "").lower()
    pipeline = params.get("pipeline_tag")
    gated = params.get("gated")
    providers = params.getlist("inference_provider")
    low, high = _parameter_bounds(params.get("num_parameters"))
    selected: list[ModelEntry] = []
    for entry in candidates:
        if any(f not in entry.tags and f != entry.pipeline_tag and f != entry.library_name for f in filters):
            continue
        if searches and not all(s in entry.id.lower() for s in searches):
            continue
        if author and (entry.author or entry.id.split("/", 1)[0]).lower() != author:
            continue
        if pipeline and entry.pipeline_tag != pipeline:
            continue
        if gated is not None and (entry.gated not in (None, False)) != (gated in _TRUE):
            continue
        if providers and not _serves(entry, providers):
            continue
        if (low is not None or high is not None) and not _within(entry.parameters, low, high):
            continue
        selected.append(entry)
    return selected


_UNITS: Final = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


def _parameter_bounds(value: str | None) -> tuple[int | None, int | None]:
    """``num_parameters=min:6B,max:128B`` → (6e9, 128e9); either bound may be missing."""
    if not value:
        return None, None
    bounds: dict[str, int] = {}
    for part in value.split(","):
        key, _, amount = part.partition(":")
        amount = amount.strip().upper()
        unit = amount[-1] if amount and amount[-1] in _UNITS else ""
        number = amount[: -1 if unit else None]
        try:
            bounds[key.strip()] = int(float(number) * _UNITS[unit])
        except ValueError as exc:
            raise BadQueryError(f'"num_parameters" must look like "min:6B,max:128B"; got "{value}"') from exc
    return bounds.get("min"), bounds.get("max")


def _within(parameters: int | None, low: int | None, high: int | None) -> bool:
    if parameters is None:
        return False
    return (low is None or parameters >= low) and (high is None or parameters <= high)


def _serves(entry: ModelEntry, providers: Sequence[str]) -> bool:
    if "all" in providers:
        return bool(entry.providers)
    return any(p in entry.providers for p in providers)


def _sorted(entries: list[ModelEntry], request: Request) -> list[ModelEntry]:
    sort = request.query_params.get("sort")
    if not sort:
        return entries
    sort = _SORT_ALIASES.get(sort, sort)
    key = _SORT_KEYS.get(sort)
    if key is None:
        raise BadQueryError(f'"sort" must be one of {", ".join(sorted(_SORT_KEYS))}; got "{sort}"')
    direction = request.query_params.get("direction", "1" if sort in ("id", "modelId") else "-1")
    descending = direction == "-1"
    present = [e for e in entries if key(e) is not None]
    missing = [e for e in entries if key(e) is None]
    present.sort(key=lambda e: (key(e), -e.order if descending else e.order), reverse=descending)
    return present + missing


def list_models(
    snapshot: Snapshot, request: Request, *, max_page: int, truncate_after: int | None = None
) -> Response:
    """``GET /api/models`` (``truncate_after``: the fault that ends the listing after that many models)."""
    params = request.query_params
    expand = check_expand(params.getlist("expand") + params.getlist("expand[]"), MODEL_EXPAND_KEYS, LIST_REFUSED_EXPAND)
    full = params.get("full") in _TRUE
    card_data = params.get("cardData") in _TRUE
    config = params.get("config") in _TRUE
    if expand and (full or card_data or config):
        raise BadQueryError('"expand" cannot be combined with "full", "cardData" or "config"')
    entries = _sorted(_selected_models(snapshot, request), request)
    if truncate_after is not None:
        entries = entries[:truncate_after]
    offset, size, headers = page_window(request, len(entries), max_page=max_page)
    page = [
        list_item(e.info(), expand=expand, full=full, card_data=card_data, config=config)
        for e in entries[offset : offset + size]
    ]
    return responses.json_response(page, headers=headers)


def list_spaces(snapshot: Snapshot, request: Request, *, max_page: int) -> Response:
    """``GET /api/spaces`` (``models=`` gives the spaces using a model)."""
    params = request.query_params
    expand = check_expand(params.getlist("expand") + params.getlist("expand[]"), SPACE_EXPAND_KEYS)
    full = params.get("full") in _TRUE
    models = [m for m in params.getlist("models") if m]
    if models:
        ids: list[str] = []
        for model_id in models:
            ids.extend(i for i in snapshot.spaces_using(model_id) if i not in ids)
    else:
        ids = list(snapshot.spaces)
    searches = [s.lower() for s in params.getlist("search") if s]
    author = (params.get("author") or "").lower()
    filters = params.getlist("filter")
    items: list[dict[str, Any]] = []
    for space_id in ids:
        info = snapshot.space(space_id)
        if info is None:
            continue
        if searches and not all(s in space_id.lower() for s in searches):
            continue
        if author and str(info.get("author") or space_id.split("/", 1)[0]).lower() != author:
            continue
        if filters and not all(f in (info.get("tags") or ()) for f in filters):
            continue
        items.append(space_item(info, expand=expand, full=full))
    return paginate(request, items, max_page=max_page)
