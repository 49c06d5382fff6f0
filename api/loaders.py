"""Per-request DataLoaders, named in one enum, so that no resolver issues one query per row.

Each loader batches the keys asked during one tick of the event loop into one graph
service call (grouped by the options the keys share, such as ``as_of``) and answers in key
order. Loaders are created fresh for every request (:func:`create_loaders`): their caches
never outlive it.
"""

from __future__ import annotations

import asyncio
import enum
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.results.read import ModelResult, StoredResult
from graph.client import GraphClient
from terms.propagation import ResponsibilityStep
from graph.reads import Ancestry, Deployment
from graph.reads.types import EdgePage, HistoryEvent, ModelFacts

__all__ = [
    "AncestryKey",
    "ConnectionKey",
    "LoaderName",
    "Loaders",
    "ModelKey",
    "create_loaders",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
G = TypeVar("G", bound=Hashable)


class LoaderName(enum.StrEnum):
    MODEL = "model"  # (id, as_of) -> ModelFacts | None
    PROPAGATION = "propagation"  # (id, as_of) -> ModelResult | None (materialised or computed)
    CHAIN = "chain"  # (current id, as_of) -> tuple[ResponsibilityStep, ...]
    ANCESTRY = "ancestry"  # (id, as_of, max_depth) -> Ancestry | None
    PARENTS = "parents"  # ConnectionKey -> EdgePage
    CHILDREN = "children"  # ConnectionKey -> EdgePage
    DEPLOYMENTS = "deployments"  # (id, as_of) -> tuple[Deployment, ...]
    HISTORY = "history"  # id -> tuple[HistoryEvent, ...]
    KNOWN_SINCE = "known_since"  # current id -> datetime | None (graph.reads.known_since)
    DESCENDANT_COUNT = "descendant_count"  # current id -> int (models below it now, any depth)


ModelKey = tuple[str, datetime | None]
AncestryKey = tuple[str, datetime | None, int]


@dataclass(frozen=True, slots=True)
class ConnectionKey:
    model_id: str
    relation: str | None
    first: int
    after: str | None
    as_of: datetime | None


def _grouped(
    group: Callable[[K], G], fetch: Callable[[G, list[K]], Awaitable[dict[K, V]]], default: Callable[[K], V]
) -> Callable[[list[K]], Awaitable[list[V]]]:
    """A batch function that groups keys, fetches each group once (concurrently) and answers in key order."""

    async def load(keys: list[K]) -> list[V]:
        groups: dict[G, list[K]] = defaultdict(list)
        for key in keys:
            groups[group(key)].append(key)
        found: dict[K, V] = {}
        for part in await asyncio.gather(*(fetch(g, ks) for g, ks in groups.items())):
            found.update(part)
        return [found[k] if k in found else default(k) for k in keys]

    return load


class Loaders:
    """The request's loaders, by name."""

    def __init__(self, graph: GraphClient) -> None:
        reader = graph.reader
        self._results_wanted: set[str] = set()
        self._stored: dict[str, StoredResult] = {}  # stored results read with facts, by current id

        async def models(as_of: datetime | None, keys: list[ModelKey]) -> dict[ModelKey, ModelFacts | None]:
            ids = [k[0] for k in keys]
            if as_of is None and self._results_wanted.intersection(ids):
                facts, stored = await reader.facts_with_results(ids)  # one read instead of two
                self._stored.update((r.model_id, r) for r in stored.values())
            else:
                facts = await reader.facts(ids, as_of=as_of)
            return {k: facts.get(k[0]) for k in keys}

        async def propagation(as_of: datetime | None, keys: list[ModelKey]) -> dict[ModelKey, ModelResult | None]:
            # the facts were most likely read already for the Model objects: reuse them (cached)
            known = await self[LoaderName.MODEL].load_many(keys)
            facts = {k[0]: f for k, f in zip(keys, known, strict=True) if f is not None}
            found = await reader.propagation([k[0] for k in keys], as_of=as_of, facts=facts, stored=self._stored)
            return {k: found.get(k[0]) for k in keys}

        async def chains(group: None, keys: list[ModelKey]) -> dict[ModelKey, tuple[ResponsibilityStep, ...]]:
            found = await asyncio.gather(*(reader.responsibility_chain(i, as_of=t) for i, t in keys))
            return dict(zip(keys, found, strict=True))

        async def ancestry(group: None, keys: list[AncestryKey]) -> dict[AncestryKey, Ancestry | None]:
            found = await asyncio.gather(*(reader.ancestors(i, as_of=t, max_depth=d) for i, t, d in keys))
            return dict(zip(keys, found, strict=True))

        def connections(direction: str) -> Callable[[Any, list[ConnectionKey]], Awaitable[dict[ConnectionKey, EdgePage]]]:
            async def fetch(group: Any, keys: list[ConnectionKey]) -> dict[ConnectionKey, EdgePage]:
                head = keys[0]
                pages = await reader.connections(
                    [k.model_id for k in keys],
                    direction=direction,
                    relation=head.relation,
                    limit=head.first,
                    after=head.after,
                    as_of=head.as_of,
                )
                return {k: pages[k.model_id] for k in keys if k.model_id in pages}

            return fetch

        async def deployments(as_of: datetime | None, keys: list[ModelKey]) -> dict[ModelKey, tuple[Deployment, ...]]:
            found = await reader.deployments_of([k[0] for k in keys], as_of=as_of)
            return {k: found.get(k[0], ()) for k in keys}

        async def history(group: None, keys: list[str]) -> dict[str, tuple[HistoryEvent, ...]]:
            return await reader.history(keys)

        async def known_since(group: None, keys: list[str]) -> dict[str, datetime | None]:
            found = await reader.known_since(keys)
            return {k: found[k].since for k in keys if k in found}

        async def descendant_counts(group: None, keys: list[str]) -> dict[str, int]:
            return await reader.descendant_counts(keys)

        def by_as_of(key: ModelKey) -> datetime | None:
            return key[1]

        def same(key: Any) -> None:
            return None

        def by_options(key: ConnectionKey) -> tuple[str | None, int, str | None, datetime | None]:
            return (key.relation, key.first, key.after, key.as_of)

        def empty_page(key: ConnectionKey) -> EdgePage:
            return EdgePage(key.model_id, (), 0, None)

        self._loaders: dict[LoaderName, DataLoader[Any, Any]] = {
            LoaderName.MODEL: DataLoader(_grouped(by_as_of, models, lambda k: None)),
            LoaderName.PROPAGATION: DataLoader(_grouped(by_as_of, propagation, lambda k: None)),
            LoaderName.CHAIN: DataLoader(_grouped(same, chains, lambda k: ())),
            LoaderName.ANCESTRY: DataLoader(_grouped(same, ancestry, lambda k: None)),
            LoaderName.PARENTS: DataLoader(_grouped(by_options, connections("parents"), empty_page)),
            LoaderName.CHILDREN: DataLoader(_grouped(by_options, connections("children"), empty_page)),
            LoaderName.DEPLOYMENTS: DataLoader(_grouped(by_as_of, deployments, lambda k: ())),
            LoaderName.HISTORY: DataLoader(_grouped(same, history, lambda k: ())),
            LoaderName.KNOWN_SINCE: DataLoader(_grouped(same, known_since, lambda k: None)),
            LoaderName.DESCENDANT_COUNT: DataLoader(_grouped(same, descendant_counts, lambda k: 0)),
        }

    def want_results(self, model_id: str) -> None:
        """The request asks for this model's propagation results: read them with its facts."""
        self._results_wanted.add(model_id)

    def __getitem__(self, name: LoaderName) -> DataLoader[Any, Any]:
        return self._loaders[name]

    def prime_models(self, facts: Sequence[ModelFacts], as_of: datetime | None) -> None:
        """Put facts already read (a search page, the roots) into the model loader's cache."""
        loader = self._loaders[LoaderName.MODEL]
        for f in facts:
            loader.prime((f.id, as_of), f)


def create_loaders(graph: GraphClient) -> Loaders:
    return Loaders(graph)
