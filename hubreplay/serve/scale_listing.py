"""``GET /api/models`` of a scale hub (:mod:`hubreplay.scale`): Hub query parameters over the catalog, keyset cursors.

The cursor is opaque to clients (base64 of ``sort, key, index, served``): the page resumes strictly
after the last model it gave, so models changed, added or deleted between pages neither shift nor
repeat the others. ``served`` counts models listed so far, for the truncated-listing fault. The
next-page URL carries the whole original query in ``Link: <…>; rel="next"``, as the Hub's does.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from hubreplay.scale.catalog import ScaleCatalog
from hubreplay.serve import responses
from hubreplay.serve.listing import page_limit
from hubreplay.serve.views import LIST_REFUSED_EXPAND, MODEL_EXPAND_KEYS, BadQueryError, check_expand, list_item

__all__ = ["Cursor", "list_models"]

_TRUE: Final = frozenset({"true", "1", "True"})
_SORT_ALIASES: Final = {"last_modified": "lastModified", "created_at": "createdAt"}


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: its sort, the last model's sort key and index, and models served so far."""

    sort: str | None
    key: int
    index: int
    served: int

    def encode(self) -> str:
        text = json.dumps([self.sort, self.key, self.index, self.served], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None, sort: str | None) -> Cursor | None:
        if not value:
            return None
        try:
            raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
            cursor = cls(raw[0], int(raw[1]), int(raw[2]), int(raw[3]))
        except (binascii.Error, ValueError, TypeError, IndexError, KeyError) as exc:
            raise BadQueryError("invalid cursor") from exc
        if cursor.sort != sort:
            raise BadQueryError("the cursor belongs to another sort order")
        return cursor


def _sort(request: Request, catalog: ScaleCatalog) -> str | None:
    raw = request.query_params.get("sort")
    if not raw:
        return None
    sort = _SORT_ALIASES.get(raw, raw)
    if sort not in catalog.source.sorts:
        allowed = ", ".join(sorted(catalog.source.sorts))
        raise BadQueryError(f'"sort" must be one of {allowed} on this replay hub; got "{raw}"')
    direction = request.query_params.get("direction")
    if direction not in (None, "-1"):
        raise BadQueryError('"direction" must be -1 (the scale hub lists newest / largest first)')
    return sort


def _indexed(
    request: Request, catalog: ScaleCatalog
) -> tuple[Callable[[], list[int]] | None, tuple[str, ...], list[str], list[str]]:
    """The indexed selection (``base_model:`` filters, ``author``, rare ``search`` terms) as a function and
    a cache key, and the filters and search terms left to test per model."""
    params = request.query_params
    indexed = tuple(sorted(v for v in params.getlist("filter") if v.startswith("base_model:")))
    others = [v for v in params.getlist("filter") if not v.startswith("base_model:")]
    author = params.get("author")
    found: dict[str, list[int]] = {}
    scanned: list[str] = []
    for term in (s for s in params.getlist("search") if s):
        matches = catalog.search(term)
        if matches is None:
            scanned.append(term)
        else:
            found[term] = matches
    if not indexed and not author and not found:
        return None, (), others, scanned

    def candidates() -> list[int]:
        selected: set[int] | None = None
        groups = [catalog.base_model_filter(v) or [] for v in indexed] + list(found.values())
        if author:
            groups.append(catalog.by_author(author))
        for group in groups:
            selected = set(group) if selected is None else selected & set(group)
        return list(selected or ())

    key = (*indexed, f"author={author or ''}", *(f"search={t.lower()}" for t in sorted(found)))
    return candidates, key, others, scanned


def _acceptor(
    request: Request, catalog: ScaleCatalog, others: list[str], scanned: list[str]
) -> Callable[[int], bool] | None:
    params = request.query_params
    searches = [s.lower() for s in scanned]
    pipeline = params.get("pipeline_tag")
    gated = params.get("gated")
    if not (searches or pipeline or gated is not None or others):
        return None
    model_id, info = catalog.source.model_id, catalog.source.info

    def accept(index: int) -> bool:
        if searches:
            lowered = model_id(index).lower()
            if not all(s in lowered for s in searches):
                return False
        if not (pipeline or gated is not None or others):
            return True
        payload = info(index)
        if pipeline and payload.get("pipeline_tag") != pipeline:
            return False
        if gated is not None and (payload.get("gated") not in (None, False)) != (gated in _TRUE):
            return False
        tags = payload.get("tags") or ()
        return all(f in tags or f in (payload.get("pipeline_tag"), payload.get("library_name")) for f in others)

    return accept


def list_models(
    catalog: ScaleCatalog, request: Request, *, max_page: int, truncate_after: int | None = None
) -> Response:
    """``GET /api/models`` (``truncate_after``: the fault that ends the listing after that many models)."""
    params = request.query_params
    expand = check_expand(params.getlist("expand") + params.getlist("expand[]"), MODEL_EXPAND_KEYS, LIST_REFUSED_EXPAND)
    full, card_data, config = (params.get(k) in _TRUE for k in ("full", "cardData", "config"))
    if expand and (full or card_data or config):
        raise BadQueryError('"expand" cannot be combined with "full", "cardData" or "config"')
    sort = _sort(request, catalog)
    limit = page_limit(request, max_page)
    cursor = Cursor.decode(params.get("cursor"), sort)
    served = cursor.served if cursor else 0
    if truncate_after is not None:
        limit = max(0, min(limit, truncate_after - served))
    candidates, selection_key, others, scanned = _indexed(request, catalog)
    after = (cursor.key, cursor.index) if cursor else None
    accept = _acceptor(request, catalog, others, scanned)
    indices, more = (
        catalog.page(
            sort=sort, after=after, limit=limit, candidates=candidates, selection_key=selection_key, accept=accept
        )
        if limit
        else ([], False)
    )
    info = catalog.source.info
    page = [list_item(info(i), expand=expand, full=full, card_data=card_data, config=config) for i in indices]
    headers: dict[str, str] = {}
    if more and indices and (truncate_after is None or served + len(indices) < truncate_after):
        last = indices[-1]
        following = Cursor(sort, catalog.sort_key(sort, last), last, served + len(indices))
        query = [(k, v) for k, v in params.multi_items() if k != "cursor"] + [("cursor", following.encode())]
        headers["Link"] = f'<{request.url.replace(query="")}?{urlencode(query)}>; rel="next"'
    return responses.json_page_response(page, headers=headers)
