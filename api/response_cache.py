"""A per-process cache of GraphQL answers that depend only on the graph.

An answer is stored under a digest of its document, operation name and variables, together with
the graph version (:mod:`graph.version`) read *before* it was computed. A lookup with the current
version hits only an answer computed at that version, so nothing is served after a write that
could have changed it: the write advances the version and the next lookup misses.

Concurrent identical requests at one version share one computation (single flight), so a
dashboard opened by fifty people at once costs one. Only successful query answers of graph-only
fields are stored (the execution marks anything else, see ``api.context.Context.cacheable``);
the cache is bounded in entries and bytes, and large answers are not stored.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Answer", "ResponseCache", "cache_key"]


@dataclass(frozen=True, slots=True)
class Answer:
    """An encoded GraphQL response and whether it may be stored."""

    body: bytes
    storable: bool


def cache_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> bytes:
    """A 128-bit digest of what determines the answer besides the graph."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(query.encode("utf-8", "surrogatepass"))
    digest.update(b"\x00")
    digest.update((operation_name or "").encode("utf-8", "surrogatepass"))
    digest.update(b"\x00")
    digest.update(orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    return digest.digest()


class ResponseCache:
    """Least-recently-used answers by key, each valid for one graph version."""

    def __init__(self, *, max_entries: int, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[bytes, tuple[str, bytes]] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[tuple[bytes, str], asyncio.Future[Answer]] = {}
        self.hits = 0
        self.misses = 0
        self.shared = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: bytes, version: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None or found[0] != version:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: bytes, version: str, body: bytes) -> None:
        if len(body) > self.max_entry_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1])
        self._entries[key] = (version, body)
        self._bytes += len(body)
        while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
            _, (_, evicted) = self._entries.popitem(last=False)
            self._bytes -= len(evicted)

    async def answer(self, key: bytes, version: str, compute: Callable[[], Awaitable[Answer]]) -> bytes:
        """The stored answer, the one being computed for the same key and version, or a new one."""
        body = self.get(key, version)
        if body is not None:
            self.hits += 1
            return body
        running = self._inflight.get((key, version))
        if running is not None:
            self.shared += 1
            try:
                return (await asyncio.shield(running)).body
            except Exception:  # noqa: BLE001 - the first caller failed: compute for ourselves
                return (await compute()).body
        self.misses += 1
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        self._inflight[(key, version)] = future
        try:
            answer = await compute()
        except BaseException as exc:
            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            raise
        finally:
            self._inflight.pop((key, version), None)
        if answer.storable:
            self.put(key, version, answer.body)
        future.set_result(answer)
        return answer.body


def _retrieve(future: asyncio.Future[Answer]) -> None:
    if not future.cancelled():
        future.exception()
