"""Settings of the API service."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic import field_validator
from typing import Annotated

__all__ = ["MIN_KEY_LENGTH", "ApiSettings"]

MIN_KEY_LENGTH = 32
_GENERATE_KEY = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class ApiSettings(BaseSettings):
    """HTTP API. Variables: LINEAGE_API_KEYS, LINEAGE_CORS_ORIGINS, LINEAGE_API_HOST, LINEAGE_API_PORT, REDIS_URL,
    LINEAGE_GRAPHIQL, LINEAGE_API_DOCS, LINEAGE_METRICS_KEY … (every field below, with the LINEAGE_ prefix)."""

    # errors never echo a value: it may be a key
    model_config = SettingsConfigDict(env_prefix="LINEAGE_", extra="ignore", hide_input_in_errors=True)

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
    max_watches_per_key: int = Field(
        default=1000, ge=1, validation_alias="LINEAGE_MAX_WATCHES_PER_KEY", description="Watches one API key may have."
    )
    max_subscriptions: int = Field(
        default=100, ge=0, validation_alias="LINEAGE_MAX_SUBSCRIPTIONS",
        description="GraphQL subscriptions one API process serves at once (more are refused with an error).",
    )
    query_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest a GraphQL operation may run; then it is stopped with a TIMEOUT error."
    )
    max_body_bytes: int = Field(
        default=65_536, ge=1024, description="Largest GraphQL request body accepted (larger ones get HTTP 413)."
    )
    max_query_depth: int = Field(
        default=10, ge=2, description="Most fields nested in one another in a GraphQL query ({ licenses { id } } is 2)."
    )
    max_query_tokens: int = Field(
        default=1_000,
        ge=100,
        description="Most lexical tokens in one GraphQL document (parsing stops there: ~4 µs of CPU per token; the"
        " largest query of the dashboard has 121, GraphiQL's introspection query 183).",
    )
    max_query_aliases: int = Field(default=30, ge=1, description="Most field aliases in one GraphQL document.")
    # The query budget (api.query_budget): checked once, fragments expanded once, before any validation rule.
    max_query_fields: int = Field(
        default=1_000,
        ge=10,
        description="Most fields (with fragment spreads and inline fragments) in one document, fragments expanded at"
        " every spread, summed over its operations and fragments (LINEAGE_MAX_QUERY_FIELDS).",
    )
    max_query_repeated_fields: int = Field(
        default=10,
        ge=1,
        description="Most fields one response name may collect in one selection set once fragments are merged"
        " (LINEAGE_MAX_QUERY_REPEATED_FIELDS).",
    )
    max_query_fragments: int = Field(
        default=30,
        ge=1,
        description="Most fragment definitions in one document; validation compares fragments pairwise"
        " (LINEAGE_MAX_QUERY_FRAGMENTS).",
    )
    max_query_cost: int = Field(
        default=100_000,
        ge=100,
        description="Highest cost of the operation to run: each field 1, plus its selection's cost times its page size"
        " (first, limit or maxDepth) or, for a list without one, query_list_size (LINEAGE_MAX_QUERY_COST).",
    )
    query_list_size: int = Field(
        default=20,
        ge=1,
        description="How many items a list field without a page argument counts for in the query cost"
        " (LINEAGE_QUERY_LIST_SIZE).",
    )
    # tooling, headers and metrics (secure defaults for production are set in docker-compose.yml)
    graphiql: bool = Field(
        default=True,
        description="Serve the bundled GraphiQL IDE at /graphiql and to browsers opening /graphql (LINEAGE_GRAPHIQL).",
    )
    api_docs: bool = Field(default=True, description="Serve /docs, /redoc and /openapi.json (LINEAGE_API_DOCS).")
    metrics_key: SecretStr | None = Field(
        default=None,
        description="Key /metrics requires as 'Authorization: Bearer <key>' (LINEAGE_METRICS_KEY); unset: open.",
    )

    # Admission control and the response cache (api.admission, api.response_cache), per API process.
    max_concurrent_operations: int = Field(
        default=8, ge=1, description="GraphQL operations one API process runs at once (LINEAGE_MAX_CONCURRENT_OPERATIONS)."
    )
    max_waiting_operations: int = Field(
        default=64, ge=0, description="Operations that may wait for a slot; more are refused at once with HTTP 503."
    )
    admission_wait_s: float = Field(
        default=2.0, gt=0, description="Longest an operation waits for a slot before it is refused with HTTP 503."
    )
    retry_after_s: int = Field(default=1, ge=1, description="Seconds sent in Retry-After when refusing an operation.")
    response_cache: bool = Field(
        default=True, description="Cache answers that depend only on the graph, per graph version (LINEAGE_RESPONSE_CACHE)."
    )
    response_cache_entries: int = Field(default=4096, ge=1, description="Most answers the response cache holds.")
    response_cache_mb: int = Field(default=128, ge=1, description="Most megabytes of answers the response cache holds.")
    response_cache_entry_kb: int = Field(
        default=2048, ge=1, description="Answers larger than this many kilobytes are not cached."
    )

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _long_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        short = [n for n, key in enumerate(keys, 1) if len(key.get_secret_value()) < MIN_KEY_LENGTH]
        if short:
            raise ValueError(
                f"LINEAGE_API_KEYS: every key needs at least {MIN_KEY_LENGTH} characters; key number "
                f"{', '.join(map(str, short))} of {len(keys)} is shorter ({_GENERATE_KEY})"
            )
        return keys

    @field_validator("metrics_key")
    @classmethod
    def _long_metrics_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and not key.get_secret_value().strip():
            return None
        if key is not None and len(key.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"LINEAGE_METRICS_KEY needs at least {MIN_KEY_LENGTH} characters ({_GENERATE_KEY})")
        return key
