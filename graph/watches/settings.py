"""Settings of webhook delivery: which private targets are allowed, how long a delivery may take, how long
and how often it is retried, and how large an event may be. Variables: LINEAGE_WEBHOOK_* (every field below)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graph.watches.targets import TargetPolicy

__all__ = ["WebhookSettings"]


class WebhookSettings(BaseSettings):
    """Webhook delivery. Variables: LINEAGE_WEBHOOK_ALLOWED_TARGETS, LINEAGE_WEBHOOK_TIMEOUT_S,
    LINEAGE_WEBHOOK_RESOLVE_TIMEOUT_S, LINEAGE_WEBHOOK_RETRY_WINDOW_S, LINEAGE_WEBHOOK_BACKOFF_BASE_S,
    LINEAGE_WEBHOOK_BACKOFF_MAX_S, LINEAGE_WEBHOOK_MAX_BODY_KB."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_WEBHOOK_", extra="ignore")

    allowed_targets: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated host names and addresses or CIDR blocks (e.g. 'localhost,127.0.0.0/8,10.1.2.0/24,::1') "
            "that webhooks may reach although they are not globally routable. Empty: every webhook URL must resolve "
            "to public addresses only (the server-side request forgery guard)."
        ),
    )
    timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait of one delivery for each of: connecting, sending the event, each read of the answer.",
    )
    resolve_timeout_s: float = Field(
        default=2.0, gt=0, description="Longest wait for the webhook host's addresses (DNS) before it is refused."
    )
    retry_window_s: float = Field(
        default=86_400.0,
        ge=0,
        description="How long after its first attempt an event is retried; then it is parked with the last reason.",
    )
    backoff_base_s: float = Field(default=30.0, gt=0, description="Wait before the first retry; doubled on each next.")
    backoff_max_s: float = Field(default=3_600.0, gt=0, description="Longest wait between two attempts.")
    max_body_kb: int = Field(
        default=256, ge=1, description="Largest event body sent, in KiB; a larger one is refused, not sent."
    )

    @field_validator("allowed_targets", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _valid_policy(self) -> Self:
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError(
                f"LINEAGE_WEBHOOK_BACKOFF_MAX_S ({self.backoff_max_s:g}) is below "
                f"LINEAGE_WEBHOOK_BACKOFF_BASE_S ({self.backoff_base_s:g})"
            )
        self.policy()  # a bad entry in LINEAGE_WEBHOOK_ALLOWED_TARGETS fails at start-up, not at the first delivery
        return self

    def policy(self) -> TargetPolicy:
        """The target policy these settings describe (the allowed targets and the resolve timeout)."""
        return TargetPolicy(allowed=tuple(self.allowed_targets), resolve_timeout_s=self.resolve_timeout_s)
