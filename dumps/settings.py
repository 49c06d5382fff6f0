"""Settings of the dump import (variables LINEAGE_IMPORT_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ImportSettings"]


class ImportSettings(BaseSettings):
    """Variables: LINEAGE_IMPORT_BATCH_ROWS, LINEAGE_IMPORT_RETRY_MAX_WAIT_S, LINEAGE_IMPORT_RETRY_BACKOFF_BASE_S,
    LINEAGE_IMPORT_RETRY_BACKOFF_MAX_S."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_IMPORT_", extra="ignore")

    batch_rows: int = Field(
        default=10_000, ge=1, le=200_000,
        description="Rows read, turned into observations and handed to GraphWriter.write at a time (one checkpoint each).",
    )
    retry_max_wait_s: float = Field(
        default=120.0, gt=0,
        description="How long one batch may keep failing with retryable graph errors (Neo4j down, transient) before "
                    "the import stops with a checkpoint; counted from the batch's first failure.",
    )
    retry_backoff_base_s: float = Field(default=0.5, gt=0, description="First wait after a failed batch write.")
    retry_backoff_max_s: float = Field(
        default=8.0, gt=0, description="Longest single wait between attempts (waits double up to it, with jitter)."
    )
