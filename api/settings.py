"""Settings of the API service."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic import field_validator
from typing import Annotated

__all__ = ["ApiSettings"]


class ApiSettings(BaseSettings):
    """HTTP API. Variables: LINEAGE_API_KEYS, LINEAGE_CORS_ORIGINS, LINEAGE_API_HOST, LINEAGE_API_PORT, REDIS_URL."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_", extra="ignore")

    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated keys accepted for mutations (reads stay open). Empty: mutations are refused.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS; empty disables CORS."
    )
    api_host: str = Field(default="127.0.0.1", description="Address uvicorn binds to.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port uvicorn listens on.")
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0", validation_alias="REDIS_URL", description="Redis for job status."
    )
    readiness_timeout_s: float = Field(default=2.0, gt=0, description="How long /readyz waits for each dependency.")
    query_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest a GraphQL operation may run; then it is stopped with a TIMEOUT error."
    )
    max_body_bytes: int = Field(
        default=65_536, ge=1024, description="Largest GraphQL request body accepted (larger ones get HTTP 413)."
    )
    max_query_depth: int = Field(default=10, ge=2, description="Deepest selection nesting a GraphQL query may have.")
    max_query_tokens: int = Field(default=2_000, ge=100, description="Most lexical tokens in one GraphQL document.")
    max_query_aliases: int = Field(default=30, ge=1, description="Most field aliases in one GraphQL document.")

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
