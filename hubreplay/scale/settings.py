"""Which scale hub to serve: a generated Hub-sized synthetic one, or the bundled real topology."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ScaleKind", "ScaleSettings"]

ScaleKind = Literal["synthetic", "topology"]


class ScaleSettings(BaseModel):
    """A scale hub: models generated on demand from a seed and compact arrays, not stored one object each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ScaleKind = Field(
        default="synthetic",
        description="'synthetic': invented models under synthetic-* namespaces, shaped by the real topology's "
        "statistics; 'topology': the bundled real March-July 2025 Hub topology (real ids, lineage tags only).",
    )
    models: int = Field(
        default=3_000_000, ge=2, le=50_000_000, description="Number of synthetic models (ignored for 'topology')."
    )
    seed: int = Field(default=7, description="Seed of the synthetic hub: the same seed gives the same models.")
