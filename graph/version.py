"""The graph's version: a value that every committed write to the database advances.

Neo4j answers every transaction, reads included, with a *bookmark* naming the last transaction
the database had committed when it ran. That is the version: any write by anyone (workers, the
API, a command, a test) advances it, with nothing to instrument and nothing to forget. Caches of
answers that depend only on the graph key them by this version (``api.response_cache``).

One probe is one auto-commit ``RETURN 1`` on a session kept open between probes. :class:`GraphVersion` coalesces concurrent callers
without ever handing out a version older than the caller: a caller joins the next probe to
*start*, never one already in flight, so the version it gets was read after it asked. Under load
one probe runs at a time and serves everyone who arrived while the previous one ran.
"""

from __future__ import annotations

import asyncio

from neo4j import READ_ACCESS, AsyncDriver, AsyncSession, Query

from graph.errors import GraphTimeout, translated
from graph.statements.health import PROBE

__all__ = ["GraphVersion"]

class GraphVersion:
    """Reads the graph version for one process's async driver, coalescing concurrent callers."""

    def __init__(self, driver: AsyncDriver, *, database: str | None, timeout_s: float = 2.0) -> None:
        self._driver = driver
        self._database = database
        self._timeout_s = timeout_s
        self._next: asyncio.Future[str] | None = None
        self._probing = False
        self._session: AsyncSession | None = None
        self.probes = 0

    async def current(self) -> str:
        """The version as of a moment after this call began (raises the graph errors when unreachable)."""
        joined = self._next
        if joined is None:
            joined = self._next = asyncio.get_running_loop().create_future()
            joined.add_done_callback(_retrieve)
            if not self._probing:
                self._probing = True
                asyncio.get_running_loop().create_task(self._drain())
        return await asyncio.shield(joined)

    async def _drain(self) -> None:
        try:
            while self._next is not None:
                waiting, self._next = self._next, None  # those who joined before this probe starts
                try:
                    async with asyncio.timeout(self._timeout_s):  # a silent connection cannot hold the callers
                        waiting.set_result(await self._probe())
                except TimeoutError:
                    await self.close()
                    waiting.set_exception(GraphTimeout(f"the graph version was not read within {self._timeout_s:g}s"))
                except Exception as exc:  # noqa: BLE001 - handed to every caller that joined
                    waiting.set_exception(exc)
        finally:
            self._probing = False

    async def _probe(self) -> str:
        # Probes never overlap (one drain at a time), so one session is kept open for all of them.
        self.probes += 1
        with translated():
            try:
                if self._session is None:
                    self._session = self._driver.session(database=self._database, default_access_mode=READ_ACCESS)
                result = await self._session.run(Query(PROBE, timeout=self._timeout_s))
                await result.consume()
                bookmarks = await self._session.last_bookmarks()
            except BaseException:
                await self.close()
                raise
        return ",".join(sorted(bookmarks.raw_values))

    async def close(self) -> None:
        """Close the probe's session (a new one is opened by the next probe)."""
        session, self._session = self._session, None
        if session is not None:
            try:
                await session.close()
            except Exception:  # noqa: BLE001 - a broken session is dropped either way
                pass


def _retrieve(future: asyncio.Future[str]) -> None:
    if not future.cancelled():
        future.exception()  # an error nobody awaited any more is not logged as "never retrieved"
