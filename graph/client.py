"""The graph as an async service for long-running processes (the API): owns one async driver."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from neo4j.exceptions import DriverError, Neo4jError

from graph.db import async_driver
from graph.schema import ensure_schema_async
from graph.settings import Neo4jSettings

__all__ = ["GraphClient"]

COUNTS = """
CALL () { MATCH (m:Model) RETURN count(m) AS models }
CALL () { MATCH ()-[r:DERIVED_FROM]->() RETURN count(r) AS derivations }
RETURN models, derivations
"""


class GraphClient:
    """One async Neo4j driver and the read services built on it. Close it with ``await close()``."""

    def __init__(self, settings: Neo4jSettings | None = None) -> None:
        self.settings = settings or Neo4jSettings()
        self.driver = async_driver(self.settings)

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.driver.close()

    async def bootstrap(self) -> None:
        """Create the schema if it is missing."""
        await ensure_schema_async(self.driver, self.settings.database)

    async def is_reachable(self) -> bool:
        try:
            await self.driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError):
            return False
        return True

    async def counts(self) -> dict[str, Any]:
        records, _, _ = await self.driver.execute_query(COUNTS, database_=self.settings.database)
        return dict(records[0])
