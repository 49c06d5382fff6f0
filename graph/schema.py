"""Uniqueness constraints and indexes, created idempotently at start-up."""

from __future__ import annotations

from neo4j import AsyncDriver, Driver

__all__ = ["SCHEMA_STATEMENTS", "ensure_schema", "ensure_schema_async"]

SCHEMA_STATEMENTS: tuple[str, ...] = (
    "CREATE CONSTRAINT model_id IF NOT EXISTS FOR (n:Model) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT party_id IF NOT EXISTS FOR (n:Party) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT license_id IF NOT EXISTS FOR (n:License) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT term_id IF NOT EXISTS FOR (n:Term) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT deployment_id IF NOT EXISTS FOR (n:Deployment) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (n:Dataset) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT file_sha256 IF NOT EXISTS FOR (n:File) REQUIRE n.sha256 IS UNIQUE",
    "CREATE INDEX model_status IF NOT EXISTS FOR (n:Model) ON (n.status)",
    "CREATE INDEX model_author IF NOT EXISTS FOR (n:Model) ON (n.author)",
    "CREATE INDEX model_declared_license IF NOT EXISTS FOR (n:Model) ON (n.declared_license)",
    # renamed repos: an old id is found through its alias node (graph.aliases)
    "CREATE CONSTRAINT model_alias_id IF NOT EXISTS FOR (n:ModelAlias) REQUIRE n.id IS UNIQUE",
    # models whose ancestry index must be rebuilt (sparse: the property exists only while dirty)
    "CREATE INDEX model_closure_dirty IF NOT EXISTS FOR (n:Model) ON (n.closure_dirty)",
    # models a full family crawl no longer saw (graph.staleness)
    "CREATE INDEX model_stale IF NOT EXISTS FOR (n:Model) ON (n.stale)",
    # descendants of a model in a stable order for cursor paging (graph.statements.lineage)
    "CREATE INDEX has_ancestor_key IF NOT EXISTS FOR ()-[k:HAS_ANCESTOR]-() ON (k.key)",
)


def ensure_schema(driver: Driver, database: str = "neo4j") -> None:
    """Create every constraint and index that is missing; existing ones are left as they are."""
    for statement in SCHEMA_STATEMENTS:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)


async def ensure_schema_async(driver: AsyncDriver, database: str = "neo4j") -> None:
    for statement in SCHEMA_STATEMENTS:
        await driver.execute_query(statement, database_=database)
    await driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
