"""Settings of the workers package: the Redis broker and how tasks behave."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WorkerSettings"]


class WorkerSettings(BaseSettings):
    """Celery on Redis. Variables: REDIS_URL, LINEAGE_RESULT_TTL_S, LINEAGE_VISIBILITY_TIMEOUT_S."""

    model_config = SettingsConfigDict(extra="ignore")

    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias="REDIS_URL",
        description="Redis used as Celery broker, result backend, job counters and the shared rate limit.",
    )
    result_ttl_s: int = Field(
        default=86_400, ge=60, validation_alias="LINEAGE_RESULT_TTL_S", description="How long task results are kept."
    )
    visibility_timeout_s: int = Field(
        default=3_600,
        ge=60,
        validation_alias="LINEAGE_VISIBILITY_TIMEOUT_S",
        description="Seconds before an unacknowledged task is redelivered to another worker.",
    )
