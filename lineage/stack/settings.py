"""Settings of the local development stack (Neo4j from Maven jars, Debian's redis-server)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["StackSettings"]


class StackSettings(BaseSettings):
    """Where local services keep their data, and how they are sized. Env prefix ``LINEAGE_``."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_", extra="ignore")

    state_dir: Path = Field(
        default=Path("var"),
        description="Folder for local data, logs and pid files (LINEAGE_STATE_DIR); ignored by git.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "lineage",
        description="Folder for downloaded Neo4j jars, reused by every checkout (LINEAGE_CACHE_DIR).",
    )
    neo4j_version: str = Field(default="5.26.29", description="Neo4j Community version resolved from Maven Central.")
    neo4j_port: int = Field(default=7687, ge=1, le=65535, description="Bolt port on 127.0.0.1.")
    neo4j_heap_mb: int = Field(default=2048, ge=256, description="JVM heap for Neo4j, in MiB.")
    neo4j_pagecache_mb: int = Field(default=2048, ge=64, description="Neo4j page cache, in MiB.")
    neo4j_transaction_timeout_s: int = Field(
        default=120,
        ge=1,
        description=(
            "db.transaction.timeout of the local Neo4j: a transaction that set no timeout of its own is stopped "
            "after this many seconds (the graph package sets its own on every transaction)."
        ),
    )
    neo4j_lock_timeout_s: int = Field(
        default=30,
        ge=1,
        description="db.lock.acquisition.timeout of the local Neo4j: a transaction waiting longer for a lock fails.",
    )
    neo4j_start_timeout_s: float = Field(default=120.0, gt=0, description="How long to wait for Bolt to answer.")
    redis_port: int = Field(default=6379, ge=1, le=65535, description="Redis port on 127.0.0.1.")
    java_bin: str = Field(default="java", description="Java 17+ executable.")
    javac_bin: str = Field(default="javac", description="Java compiler (compiles the launcher once).")
    mvn_bin: str = Field(default="mvn", description="Maven executable (resolves the Neo4j jars once).")
    redis_bin: str = Field(default="redis-server", description="redis-server executable.")

    @property
    def neo4j_dir(self) -> Path:
        return self.state_dir / "neo4j"

    @property
    def redis_dir(self) -> Path:
        return self.state_dir / "redis"
