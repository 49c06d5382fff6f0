"""One item of a hub listing as observations: what a sweep or a metadata dump knows of a model.

A listing item (``HfApi.list_models(expand=LISTING_EXPAND)``, or a row of a Hub metadata dump in
the same shape) carries the declared lineage (``base_model:`` tags, card ``base_model``), the
declared licence (``license:`` tag, card ``license``/``license_name``/``license_link``), gating,
dates, counts, library and pipeline — but no files, card text or configs. Its observations are
marked ``KnownFrom.LISTED``; the deep crawl adds the rest on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huggingface_hub import ModelInfo

from crawler.hubclient import ModelsPage
from crawler.observations import KnownFrom, ModelSeen, Observation, Source
from crawler.parsing import check_repo_id, parse_model

__all__ = ["LISTING_EXPAND", "ListedPage", "observe_listed", "read_page"]

LISTING_EXPAND: list[str] = [
    "author", "cardData", "createdAt", "downloads", "gated", "lastModified", "library_name", "likes",
    "pipeline_tag", "safetensors", "sha", "tags",
]  # fmt: skip


def observe_listed(info: ModelInfo, source: Source) -> list[Observation]:
    """The model, its declared derivations and the problems found reading it, as listed."""
    parsed = parse_model(info, source, known_from=KnownFrom.LISTED)
    return [parsed.model, *parsed.problems, *parsed.declared.derivations]


@dataclass
class ListedPage:
    """What one listing page said: observations of its models, and what could not be read.

    ``unreadable`` names items (or the whole page) that could not be read at all — no model id to
    hang a problem on — as ``(where, why)``; problems of a model with a valid id are ProblemSeen.
    ``newest``/``oldest`` are the page's extreme ``lastModified`` values (None when none was given).
    """

    observations: list[Observation] = field(default_factory=list)
    model_ids: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    newest: datetime | None = None
    oldest: datetime | None = None


def read_page(page: ModelsPage, observed_at: datetime, public_url: Callable[[str], str] = str) -> ListedPage:
    """Every item of ``page`` through :func:`observe_listed`; items that cannot be read are reported, not raised.

    ``public_url`` turns the page URL into the URL its evidence cites (``CrawlerSettings.public_url``)."""
    out = ListedPage()
    if page.unreadable is not None:
        out.unreadable.append((page.url, page.unreadable))
    cited = public_url(page.url)
    for position, item in enumerate(page.items):
        where = f"item {position} of {page.url}"
        if not isinstance(item, Mapping):
            out.unreadable.append((where, f"not an object: {type(item).__name__}"))
            continue
        model_id = item.get("id", item.get("modelId"))
        reason = check_repo_id(model_id)
        if reason is not None:
            out.unreadable.append((where, f"no usable model id: {reason}"))
            continue
        try:
            info = ModelInfo(**{"siblings": None, **_plain(item)})
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            out.unreadable.append((where, f"{model_id}: unreadable item: {type(exc).__name__}: {exc}"))
            continue
        source = Source(cited, info.sha if isinstance(info.sha, str) else None, observed_at)
        observations = observe_listed(info, source)
        out.observations.extend(observations)
        out.model_ids.append(str(model_id))
        seen = observations[0]
        if isinstance(seen, ModelSeen) and seen.last_modified is not None:
            modified = seen.last_modified
            out.newest = modified if out.newest is None else max(out.newest, modified)
            out.oldest = modified if out.oldest is None else min(out.oldest, modified)
    return out


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): value for key, value in item.items()}
