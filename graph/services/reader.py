"""The async read services of the graph: the shared read plans, run over the async driver.

One :class:`GraphReader` per process (the API owns one through :class:`graph.client.GraphClient`).
Every method is a coroutine; unknown models give ``None`` (or a missing key), bad arguments
raise :class:`graph.errors.InvalidArgument`, driver failures the graph errors. Propagation is
computed with the engine over the lineage read from the graph (materialised results, when a
model carries them, are only used for its conflict summary in lists and filters).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from neo4j import AsyncDriver

from crawler.observations import Relation
from graph.errors import InvalidArgument, ModelNotFound
from graph.licenses import LicenseCatalog, default_catalog
from graph.propagation import PropagationEngine, PropagationResult, PropagationRun, ResponsibilityStep
from graph.reads import (
    Ancestry,
    Deployment,
    DescendantsPage,
    FileMatch,
    PathsBetween,
    Plan,
    Query,
    plan_ancestors,
    plan_by_file,
    plan_deployments,
    plan_descendants,
    plan_paths_between,
)
from graph.reads import _common as c
from graph.reads.convert import opt_time
from graph.services.aggregate import PropagationSummary, summarise
from graph.services.engine_view import EngineInput, plan_engine_view
from graph.services.family import ScopeMembers, plan_scope_members
from graph.services.models import plan_connections, plan_facts, plan_history, plan_roots, plan_search
from graph.services.runner import run_async
from graph.services.types import EdgePage, HistoryEvent, ModelFacts, ModelPage, RootEntry
from graph.statements import reads as rq

__all__ = ["GraphReader", "PropagationBatch"]

T = TypeVar("T")

# Engine passes over more models than this run in a worker thread, so the event loop stays responsive.
THREAD_ABOVE = 2000


@dataclass(frozen=True)
class PropagationBatch:
    """Engine results for the asked models (by the key they were asked with) and the run that made them."""

    input: EngineInput
    run: PropagationRun
    results: dict[str, PropagationResult]

    def result(self, key: str) -> PropagationResult | None:
        return self.results.get(key)

    def responsibility_chain(self, key: str) -> tuple[ResponsibilityStep, ...]:
        model_id = self.input.keys.get(key)
        if model_id is None or model_id not in self.input.facts:
            return ()
        return self.run.responsibility_chain(model_id)


def _plan_deployments_of(ids: Sequence[str], as_of: datetime | None) -> Plan[dict[str, tuple[Deployment, ...]]]:
    as_of = c.norm_as_of(as_of)
    keys = sorted(set(ids))
    if not keys:
        return {}
    rows = yield Query(rq.DEPLOYMENTS_OF, {"models": [{"id": k, "depth": 0} for k in keys], "as_of": as_of})
    out: dict[str, list[Deployment]] = {k: [] for k in keys}
    for r in rows:
        out[str(r["model_id"])].append(
            Deployment(
                id=str(r["id"]),
                kind=r["kind"],
                status=r["status"],
                url=r["url"],
                operator=r["operator"],
                model_id=str(r["model_id"]),
                depth=0,
                first_seen=opt_time(r["first_seen"]),
                last_seen=opt_time(r["last_seen"]),
            )
        )
    return {k: tuple(v) for k, v in out.items()}


class GraphReader:
    """Async reads over one async driver; ``timeout_s`` bounds every statement on the server."""

    def __init__(
        self,
        driver: AsyncDriver,
        *,
        database: str | None = None,
        timeout_s: float | None = None,
        catalog: LicenseCatalog | None = None,
    ) -> None:
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s
        self.catalog = catalog or default_catalog()
        self.engine = PropagationEngine(self.catalog)

    async def run(self, plan: Plan[T]) -> T:
        """Run any read plan (graph.reads or graph.services) over the async driver."""
        return await run_async(self.driver, plan, database=self.database, timeout_s=self.timeout_s)

    async def _or_none(self, plan: Plan[T]) -> T | None:
        try:
            return await self.run(plan)
        except ModelNotFound:
            return None

    # -- models -------------------------------------------------------------------------------
    async def facts(self, ids: Sequence[str], *, as_of: datetime | None = None) -> dict[str, ModelFacts]:
        return await self.run(plan_facts(ids, as_of=as_of))

    async def search(self, **filters: Any) -> ModelPage:
        return await self.run(plan_search(**filters))

    async def roots(self, *, limit: int) -> tuple[RootEntry, ...]:
        return await self.run(plan_roots(limit=limit))

    async def connections(self, ids: Sequence[str], **options: Any) -> dict[str, EdgePage]:
        return await self.run(plan_connections(ids, **options))

    async def history(self, ids: Sequence[str]) -> dict[str, tuple[HistoryEvent, ...]]:
        return await self.run(plan_history(ids))

    async def deployments_of(
        self, ids: Sequence[str], *, as_of: datetime | None = None
    ) -> dict[str, tuple[Deployment, ...]]:
        """Deployments serving each model itself (depth 0), batched."""
        return await self.run(_plan_deployments_of(ids, as_of))

    async def deployments_reached(self, model_id: str, *, as_of: datetime | None = None) -> tuple[Deployment, ...]:
        """Deployments serving the model or any of its descendants."""
        found = await self._or_none(plan_deployments(model_id, as_of=as_of, include_descendants=True))
        return found or ()

    # -- lineage ------------------------------------------------------------------------------
    async def ancestors(self, model_id: str, *, as_of: datetime | None = None, max_depth: int = 16) -> Ancestry | None:
        return await self._or_none(plan_ancestors(model_id, as_of=as_of, max_depth=max_depth))

    async def descendants(
        self,
        model_id: str,
        *,
        as_of: datetime | None = None,
        relations: Iterable[Relation | str] | None = None,
        max_depth: int = c.MAX_DEPTH,
        limit: int = 50,
        cursor: str | None = None,
    ) -> DescendantsPage | None:
        plan = plan_descendants(
            model_id, as_of=as_of, relations=relations, max_depth=max_depth, limit=limit, cursor=cursor
        )
        return await self._or_none(plan)

    async def paths(self, source_id: str, target_id: str, *, as_of: datetime | None = None) -> PathsBetween | None:
        return await self._or_none(plan_paths_between(source_id, target_id, as_of=as_of))

    async def by_file(self, sha256: str, *, as_of: datetime | None = None) -> tuple[FileMatch, ...]:
        return await self.run(plan_by_file(sha256, as_of=as_of))

    # -- propagation --------------------------------------------------------------------------
    async def _evaluate(self, engine_input: EngineInput, model_ids: list[str]) -> tuple[PropagationRun, dict[str, PropagationResult]]:
        def work() -> tuple[PropagationRun, dict[str, PropagationResult]]:
            run = self.engine.run(engine_input.view)
            return run, run.results(model_ids)

        if len(engine_input.view.nodes) > THREAD_ABOVE:
            return await asyncio.to_thread(work)
        return work()

    async def propagation(self, ids: Sequence[str], *, as_of: datetime | None = None) -> PropagationBatch:
        """Engine results for each model (by id or old id) over its lineage as of ``as_of``."""
        engine_input = await self.run(plan_engine_view(ids, as_of=as_of))
        present = {key: mid for key, mid in engine_input.keys.items() if mid in engine_input.facts}
        run, by_id = await self._evaluate(engine_input, sorted(set(present.values())))
        return PropagationBatch(engine_input, run, {key: by_id[mid] for key, mid in present.items()})

    def scope_terms(self, *, root_result: PropagationResult | None = None, license_id: str | None = None,
                    term_id: str | None = None) -> list[tuple[str, str]]:
        """The (term, licence) pairs a scope follows: the root's terms in force, a licence's terms, or one term."""
        if root_result is not None:
            return list(dict.fromkeys((tid, lid) for tid, _, lid in root_result.term_rows))
        if license_id is not None:
            return [(t.id, license_id) for t in self.catalog.terms(license_id).all]
        if term_id is not None:
            return [(term_id, lid) for lid in self.licenses_imposing(term_id)]
        raise InvalidArgument("name a root, a licence or a term")

    def licenses_imposing(self, term_id: str) -> list[str]:
        return sorted(e.id for e in self.catalog if any(t.id == term_id for t in self.catalog.terms(e.id).all))

    async def propagation_scope(
        self,
        *,
        root: str | None = None,
        license_id: str | None = None,
        term_id: str | None = None,
        as_of: datetime | None = None,
    ) -> PropagationSummary | None:
        """Aggregates over a root's family, or over what a licence or a term reaches (None: unknown root)."""
        if sum(x is not None for x in (root, license_id, term_id)) != 1:
            raise InvalidArgument("name exactly one of root, license or term")
        scope: ScopeMembers | None
        if root is not None:
            scope = await self.run(plan_scope_members(root=root, scope=f"root:{root}", as_of=as_of))
        elif license_id is not None:
            scope = await self.run(plan_scope_members(licenses=[license_id], scope=f"license:{license_id}", as_of=as_of))
        else:
            assert term_id is not None
            licences = self.licenses_imposing(term_id)
            scope = await self.run(plan_scope_members(licenses=licences, scope=f"term:{term_id}", as_of=as_of))
        if scope is None:
            return None
        ids = [m.id for m in scope.members]
        engine_input = await self.run(plan_engine_view(ids, as_of=as_of))
        if root is not None and scope.sources[0] not in engine_input.facts:
            return None  # not yet known at as_of
        _, results = await self._evaluate(engine_input, [i for i in ids if i in engine_input.facts])
        if root is not None:
            terms = self.scope_terms(root_result=results.get(scope.sources[0]))
        else:
            terms = self.scope_terms(license_id=license_id, term_id=term_id)

        def aggregate() -> PropagationSummary:
            return summarise(scope, engine_input, results, self.catalog, terms)

        if len(ids) > THREAD_ABOVE:
            return await asyncio.to_thread(aggregate)
        return aggregate()
