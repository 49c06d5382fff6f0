"""Settings of the replay hub and of its fault injection.

Environment variables: ``LINEAGE_REPLAY_<FIELD>``; faults nest with ``__``
(e.g. ``LINEAGE_REPLAY_FAULTS__RATE_429=0.1``, ``LINEAGE_REPLAY_FAULTS__SEED=7``).
Faults can also be changed at run time with ``POST /_replay/faults`` (a :class:`FaultConfig` as JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubreplay.scale.settings import ScaleSettings

__all__ = ["FaultConfig", "MalformedMode", "ReplaySettings"]

MalformedMode = Literal["yaml", "base_model_type"]


class FaultConfig(BaseModel):
    """Which faults to inject and how often. Every rate is a probability per request (0 = never)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(default=0, description="Seed of the fault RNG; the same seed and requests give the same faults.")
    rate_429: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of requests answered 429 Too Many Requests."
    )
    retry_after_s: int = Field(default=1, ge=0, le=3600, description="Retry-After seconds sent with an injected 429.")
    rate_500: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of requests answered 500.")
    rate_502: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of requests answered 502.")
    rate_503: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of requests answered 503.")
    slow_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of requests delayed by slow_ms.")
    slow_ms: int = Field(default=0, ge=0, le=600_000, description="Delay added to a slow request, in milliseconds.")
    unparsable_rate: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of successful answers whose JSON body is cut in half (the client cannot parse it).",
    )
    listing_truncate_after: int | None = Field(
        default=None,
        ge=0,
        description="End every model listing after this many models, without a next link (None = never).",
    )
    malformed_card_rate: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of models whose card is served malformed (decided per model id, so it is stable).",
    )
    malformed_modes: tuple[MalformedMode, ...] = Field(
        default=("yaml", "base_model_type"),
        min_length=1,
        description="How a malformed card is broken: 'yaml' (front matter unparsable, no cardData) or "
        "'base_model_type' (base_model is an object instead of a string or list).",
    )
    routes: tuple[str, ...] | None = Field(
        default=None,
        description="Route names that faults apply to (see GET /_replay/stats); None means every Hub route.",
    )

    @model_validator(mode="after")
    def _statuses_fit(self) -> Self:
        if self.rate_429 + self.rate_500 + self.rate_502 + self.rate_503 > 1.0 + 1e-9:
            raise ValueError("rate_429 + rate_500 + rate_502 + rate_503 must not exceed 1")
        return self

    @property
    def active(self) -> bool:
        return any(
            (self.rate_429, self.rate_500, self.rate_502, self.rate_503, self.slow_rate, self.malformed_card_rate,
             self.unparsable_rate, self.listing_truncate_after is not None)
        )  # fmt: skip


class ReplaySettings(BaseSettings):
    """How ``lineage hub serve`` runs the replay hub."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_REPLAY_", env_nested_delimiter="__", extra="forbid")

    snapshot: Path | None = Field(default=None, description="Snapshot folder to serve; None serves the bundled one.")
    host: str = Field(default="127.0.0.1", description="Interface to bind.")
    port: int = Field(default=8765, ge=0, le=65535, description="TCP port to bind (0 picks a free port).")
    max_page_size: int = Field(
        default=1000,
        ge=1,
        le=1000,
        description="Largest page of a list endpoint; a smaller `limit` makes pages smaller.",
    )
    gated_tokens: list[SecretStr] = Field(
        default_factory=list,
        description="Bearer tokens that may download files of gated repos (others get 401/403 GatedRepo). "
        "Never logged.",
    )
    faults: FaultConfig = Field(default_factory=FaultConfig, description="Fault injection (all rates 0 by default).")
    scale: ScaleSettings | None = Field(
        default=None,
        description="Serve a scale hub (generated synthetic models or the bundled real topology) instead of a "
        "snapshot folder.",
    )
