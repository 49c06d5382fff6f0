"""One item of a hub listing as observations: what a sweep or a metadata dump knows of a model.

A listing item (``HfApi.list_models(expand=LISTING_EXPAND)``, or a row of a Hub metadata dump in
the same shape) carries the declared lineage (``base_model:`` tags, card ``base_model``), the
declared licence (``license:`` tag, card ``license``/``license_name``/``license_link``), gating,
dates, counts, library and pipeline — but no files, card text or configs. Its observations are
marked ``KnownFrom.LISTED``; the deep crawl adds the rest on demand.
"""

from __future__ import annotations

from huggingface_hub import ModelInfo

from crawler.observations import KnownFrom, Observation, Source
from crawler.parsing import parse_model

__all__ = ["LISTING_EXPAND", "observe_listed"]

LISTING_EXPAND: list[str] = [
    "author", "cardData", "createdAt", "downloads", "gated", "lastModified", "library_name", "likes",
    "pipeline_tag", "safetensors", "sha", "tags",
]  # fmt: skip


def observe_listed(info: ModelInfo, source: Source) -> list[Observation]:
    """The model, its declared derivations and the problems found reading it, as listed."""
    parsed = parse_model(info, source, known_from=KnownFrom.LISTED)
    return [parsed.model, *parsed.problems, *parsed.declared.derivations]
