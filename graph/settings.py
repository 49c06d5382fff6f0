"""Settings of the graph package: how to reach Neo4j and how big a write batch is."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Neo4jSettings"]


class Neo4jSettings(BaseSettings):
    """Neo4j connection. Variables: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, NEO4J_BATCH_SIZE."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str = Field(default="bolt://127.0.0.1:7687", description="Bolt URI of the Neo4j server or cluster.")
    user: str = Field(default="neo4j", description="Neo4j user (ignored when the server has auth disabled).")
    password: SecretStr | None = Field(
        default=None, description="Neo4j password; unset for the local development server, which runs without auth."
    )
    database: str = Field(default="neo4j", description="Database name (Community has exactly one: neo4j).")
    batch_size: int = Field(default=5000, ge=1, le=100_000, description="Rows per UNWIND write transaction.")
    max_connection_pool_size: int = Field(default=50, ge=1, description="Driver connection pool size.")
    query_timeout_s: float = Field(default=30.0, gt=0, description="Server-side timeout for read queries.")
