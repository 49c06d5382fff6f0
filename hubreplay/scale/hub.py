"""A running scale hub: its source, catalog, per-model lookups and a day of changes.

``build_scale_hub(ScaleSettings(...))`` generates (synthetic) or loads (topology) the models and
builds the indexes. HTTP lives in :mod:`hubreplay.serve.scale_app`; this package imports nothing of
``hubreplay.serve``.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import structlog

from hubreplay.scale.catalog import ScaleCatalog
from hubreplay.scale.changes import apply_day
from hubreplay.scale.columns import RELATIONS
from hubreplay.scale.errors import ScaleHubError
from hubreplay.scale.settings import ScaleSettings
from hubreplay.scale.synthetic import SyntheticBuilder, generate
from hubreplay.scale.synthetic_source import SyntheticSource
from hubreplay.scale.topology import load_topology

__all__ = ["ScaleHub", "ScaleHubError", "build_scale_hub"]

log = structlog.get_logger(__name__)


class ScaleHub:
    """The state of one scale hub."""

    def __init__(self, settings: ScaleSettings, catalog: ScaleCatalog, builder: SyntheticBuilder | None) -> None:
        self.settings = settings
        self.catalog = catalog
        self.source = catalog.source
        self._builder = builder
        self.startup_s = 0.0

    # -- models --------------------------------------------------------------------------------

    def find(self, model_id: str) -> tuple[int | None, str | None]:
        """(live index, None) or (None, current id of a renamed model) or (None, None)."""
        index = self.catalog.live(model_id)
        if index is not None:
            return index, None
        return None, self.source.alias_target(model_id)

    def children_counts(self, model_id: str) -> dict[str, int]:
        index = self.catalog.live(model_id)
        if index is None:
            return {}
        counts = Counter(RELATIONS[self.catalog.columns.relation[c]] for c in self.catalog.children(index, None))
        return dict(counts)

    def object_id(self, model_id: str) -> str | None:
        index = self.catalog.live(model_id)
        oid = self.source.info(index).get("_id") if index is not None else None
        return oid if isinstance(oid, str) else None

    def info(self, index: int) -> dict[str, Any]:
        return self.source.info(index)

    # -- control -------------------------------------------------------------------------------

    def apply_changes(self, *, models: int, seed: int) -> dict[str, Any]:
        if self._builder is None or not isinstance(self.source, SyntheticSource):
            raise ScaleHubError("a day of changes applies to the synthetic scale hub only (real ids stay as recorded)")
        return apply_day(self.catalog, self.source, self._builder, models=models, seed=seed).as_json()

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "snapshot": f"scale-{self.settings.kind}", "startup_s": round(self.startup_s, 2),
                **self.source.describe()}  # fmt: skip


def build_scale_hub(settings: ScaleSettings) -> ScaleHub:
    """Generate or load the models of ``settings`` and build the indexes (the slow part of start-up)."""
    started = time.perf_counter()
    builder: SyntheticBuilder | None = None
    if settings.kind == "synthetic":
        generated, builder = generate(settings.models, settings.seed)
        catalog = ScaleCatalog(SyntheticSource(generated))
    else:
        catalog = ScaleCatalog(load_topology())
    hub = ScaleHub(settings, catalog, builder)
    hub.startup_s = time.perf_counter() - started
    log.info("scale_hub_ready", kind=settings.kind, models=len(catalog.columns), startup_s=round(hub.startup_s, 2))
    return hub
