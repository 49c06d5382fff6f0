"""Settings of the graph package: how to reach Neo4j, how big a write batch is, how long anything may wait
(:class:`Neo4jSettings`), and which models are constructed fixtures left out of statistics (:class:`GraphSettings`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["GraphSettings", "Neo4jSettings", "configured_fixture_prefixes"]

FIXTURE_NAMESPACE = "lineage-fixtures/"
"""The namespace reserved for Lineage's constructed test records (the bundled snapshot's manifest lists it
in ``origin_excludes``: nothing under it exists on the public Hub)."""


class Neo4jSettings(BaseSettings):
    """Neo4j connection. Variables: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, NEO4J_BATCH_SIZE,
    NEO4J_QUERY_TIMEOUT_S, NEO4J_WRITE_TIMEOUT_S, NEO4J_BULK_TIMEOUT_S, NEO4J_SCHEMA_CHECK_TIMEOUT_S,
    NEO4J_CONNECT_TIMEOUT_S, NEO4J_TRANSACTION_RETRY_S.

    Every transaction the graph package opens carries one of these timeouts, so no transaction
    (and no lock it holds) can outlive it; the server stops it and the caller gets a GraphTimeout.
    """

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str = Field(default="bolt://127.0.0.1:7687", description="Bolt URI of the Neo4j server or cluster.")
    user: str = Field(default="neo4j", description="Neo4j user (ignored when the server has auth disabled).")
    password: SecretStr | None = Field(
        default=None, description="Neo4j password; unset for the local development server, which runs without auth."
    )
    database: str = Field(default="neo4j", description="Database name (Community has exactly one: neo4j).")
    batch_size: int = Field(default=5000, ge=1, le=100_000, description="Rows per UNWIND write transaction.")
    max_connection_pool_size: int = Field(default=50, ge=1, description="Driver connection pool size.")
    query_timeout_s: float = Field(
        default=30.0, gt=0, description="Timeout of every read transaction; the server stops a longer one."
    )
    write_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "Timeout of every write transaction (one batch of at most batch_size rows, or one chunk of "
            "propagation results); the server stops a longer one and rolls it back."
        ),
    )
    bulk_timeout_s: float = Field(
        default=3600.0,
        gt=0,
        description=(
            "Timeout of statements that work through the whole graph in many inner transactions "
            "(CALL { } IN TRANSACTIONS) and of `lineage migrate` (constraint creation and index population)."
        ),
    )
    schema_check_timeout_s: float = Field(
        default=5.0, gt=0, description="How long the API and the workers wait for the schema check at start-up."
    )
    connect_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="How long opening a connection to Neo4j may take (a free pooled connection is waited for 60 s).",
    )
    transaction_retry_s: float = Field(
        default=30.0,
        ge=0,
        description=(
            "How long the driver itself retries a transaction function that failed with a retryable error "
            "(unreachable server, transient error) before raising it; callers with a retry policy of their own "
            "(the dump importer) count and bound what comes after."
        ),
    )


class GraphSettings(BaseSettings):
    """What the graph's reads count. Variable: LINEAGE_GRAPH_FIXTURE_PREFIXES."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_GRAPH_", extra="ignore")

    fixture_prefixes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(FIXTURE_NAMESPACE,),
        description=(
            "Model-id prefixes of constructed fixture records (comma-separated). Such models stay ordinary graph "
            "members (lineage, history and as-of reads show them), but every statistic about real models leaves "
            "them out: propagation aggregates of a root, licence or term (unless asked for with includeFixtures), "
            "licence and term reach, and the descendant counts of roots. `lineage-fixtures/` is reserved for "
            "Lineage's constructed records (the bundled snapshot's licence-change and deleted-base fixtures); "
            "an empty value counts every model."
        ),
    )

    @field_validator("fixture_prefixes", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value


@lru_cache(maxsize=1)
def configured_fixture_prefixes() -> tuple[str, ...]:
    """The fixture prefixes of this process's settings (read once)."""
    return GraphSettings().fixture_prefixes
