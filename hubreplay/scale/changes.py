"""A day of Hub churn applied to the synthetic scale hub (``POST /_replay/changes``).

Kinds, as shares of the requested count: new models (about a third deriving from an existing
one, like the Hub's declared share), changed models (new sha and lastModified), relicensed models
(licence tag and card changed, new sha), rebased models (another declared base, new sha) and deleted
models (404 afterwards, gone from every listing). Every touched model gets a lastModified later
than anything before, one second apart in the order the changes were applied, so a listing sorted
by lastModified shows the day first. Draws come from ``random.Random(seed)``: the same hub and seed
give the same day.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Final

import structlog

from hubreplay.scale.catalog import ScaleCatalog
from hubreplay.scale.synthetic import FAMOUS_ROOTS, SyntheticBuilder
from hubreplay.scale.synthetic_source import SyntheticSource, hub_time
from hubreplay.scale.vocabulary import DRIFT_LICENSE_WEIGHTS, LICENSES

__all__ = ["CHANGE_SHARES", "DayOfChanges", "apply_day"]

log = structlog.get_logger(__name__)

CHANGE_SHARES: Final = (("new", 0.45), ("changed", 0.30), ("relicensed", 0.08), ("rebased", 0.05), ("deleted", 0.12))
_EXAMPLES: Final = 5


@dataclass
class DayOfChanges:
    """What one call applied: counts and a few example ids per kind, and the lastModified span."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    first_modified: str | None = None
    last_modified: str | None = None

    def note(self, kind: str, model_id: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < _EXAMPLES:
            examples.append(model_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "applied": self.counts,
            "examples": self.examples,
            "lastModified": {"first": self.first_modified, "last": self.last_modified},
        }


class _Clock:
    """Hands out lastModified seconds later than every one handed out (or stored) before."""

    def __init__(self, catalog: ScaleCatalog) -> None:
        latest = max(catalog.columns.modified, default=0)
        self.now = max(int(time.time()), latest + 1)

    def tick(self) -> int:
        self.now += 1
        return self.now


def _pick_live(rng: random.Random, catalog: ScaleCatalog, touched: set[int]) -> int:
    columns = catalog.columns
    while True:
        index = FAMOUS_ROOTS + int(rng.random() * (len(columns) - FAMOUS_ROOTS))
        if columns.is_live(index) and index not in touched:
            touched.add(index)
            return index


def _touch(catalog: ScaleCatalog, index: int, modified: int) -> None:
    columns = catalog.columns
    columns.version[index] = columns.version.get(index, 0) + 1
    columns.modified[index] = modified
    catalog.key_changed("lastModified", index)


def apply_day(
    catalog: ScaleCatalog, source: SyntheticSource, builder: SyntheticBuilder, *, models: int, seed: int
) -> DayOfChanges:
    """Apply ``models`` changes drawn from ``seed``; returns what was applied."""
    rng = random.Random(seed)
    builder.rng.seed(f"day/{seed}")
    clock = _Clock(catalog)
    columns = catalog.columns
    day = DayOfChanges()
    touched: set[int] = set()
    kinds = [kind for kind, share in CHANGE_SHARES for _ in range(round(models * share))]
    kinds = (kinds + ["new"] * models)[:models]
    rng.shuffle(kinds)
    drift = [code for code, _ in DRIFT_LICENSE_WEIGHTS]
    for kind in kinds:
        stamp = clock.tick()
        if kind == "new":
            index = builder.add(len(columns), stamp, modified=stamp, declared=rng.random() < 0.4)
            catalog.added(index)
            touched.add(index)
        else:
            index = _pick_live(rng, catalog, touched)
            if kind == "rebased" and not columns.parents(index):
                kind = "changed"
            if kind == "deleted":
                columns.deleted[index] = 1
            else:
                if kind == "relicensed":
                    current = columns.license[index]
                    choices = [c for c in drift if c != current and LICENSES[c] is not None] or [0]
                    columns.license[index] = rng.choice(choices)
                elif kind == "rebased":
                    parent = builder.picker.pick(index)
                    catalog.reparented(index, (parent if parent != index else 0,))
                _touch(catalog, index, stamp)
        day.note(kind, source.model_id(index))
        day.first_modified = day.first_modified or hub_time(stamp)
        day.last_modified = hub_time(stamp)
    log.info("replay_day_of_changes", seed=seed, **day.counts)
    return day
