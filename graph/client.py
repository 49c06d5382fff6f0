"""The graph as an async service for long-running processes (the API): owns one async driver.

Reads go through :attr:`GraphClient.reader` (:class:`graph.reads.reader.GraphReader`);
the few writes the API makes (registered deployments) go through the batched
:class:`graph.writer.GraphWriter` on a sync driver opened on first use, in a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from collections.abc import Callable
from typing import Any, TypeVar

from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError

from crawler.observations import Observation
from graph.db import async_driver, read_query, sync_driver
from graph.schema import missing_schema_async
from graph.reads.reader import GraphReader
from graph.settings import Neo4jSettings
from graph.statements.health import GRAPH_COUNTS
from graph.writer import GraphWriter, WriteReport

__all__ = ["GraphClient"]

T = TypeVar("T")

class GraphClient:
    """One async Neo4j driver and the async reader built on it. Close it with ``await close()``."""

    def __init__(self, settings: Neo4jSettings | None = None) -> None:
        self.settings = settings or Neo4jSettings()
        self.driver = async_driver(self.settings)
        self.reader = GraphReader(
            self.driver, database=self.settings.database, timeout_s=self.settings.query_timeout_s
        )
        self._sync: Driver | None = None
        self._sync_lock = threading.Lock()

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.driver.close()
        if self._sync is not None:
            await asyncio.to_thread(self._sync.close)
            self._sync = None

    def _sync_driver(self) -> Driver:
        with self._sync_lock:
            if self._sync is None:
                self._sync = sync_driver(self.settings)
            return self._sync

    async def write(self, observations: list[Observation], *, run_id: str) -> WriteReport:
        """Write a small batch of observations in one transaction through the graph writer."""

        def work() -> WriteReport:
            writer = GraphWriter(self._sync_driver(), database=self.settings.database)
            return writer.write_atomic(observations, run_id=run_id)

        return await asyncio.to_thread(work)

    async def in_thread(self, work: Callable[[Driver, str], T]) -> T:
        """Run ``work(sync driver, database)`` in a worker thread (the graph's sync functions: watches, changes)."""
        return await asyncio.to_thread(work, self._sync_driver(), self.settings.database)

    async def missing_schema(self) -> tuple[str, ...]:
        """The constraints and indexes the graph lacks (a read of the schema; it is never changed here:
        ``lineage migrate`` does that). Raises GraphError when Neo4j cannot be asked."""
        return await missing_schema_async(self.driver, self.settings.database)

    async def is_reachable(self) -> bool:
        try:
            await self.driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError):
            return False
        return True

    async def counts(self) -> dict[str, Any]:
        records, _, _ = await self.driver.execute_query(
            read_query(self.driver, GRAPH_COUNTS), database_=self.settings.database
        )
        return dict(records[0])
