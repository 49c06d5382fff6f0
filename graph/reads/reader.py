"""The async reads of the graph: the read plans (of graph.reads and graph.results), run over the async driver.

One :class:`GraphReader` per process (the API owns one through :class:`graph.client.GraphClient`).
Every method is a coroutine; unknown models give ``None`` (or a missing key), bad arguments
raise :class:`graph.errors.InvalidArgument`, driver failures the graph errors.

Propagation: per-model results come from :mod:`graph.results.read` (the stored result when the
question is about now and it is current, else the engine over the lineage read from the graph;
``as_of`` is always computed). A root's family aggregate is
read from the materialised aggregates when every member is materialised; licence and term
scopes, ``as_of`` questions and partly materialised families are computed. Either way constructed
fixture models are left out of a scope unless asked for (:func:`graph.reads.scope.counted_prefixes`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from neo4j import AsyncDriver

from crawler.observations import Relation
from graph.errors import InvalidArgument, ModelNotFound, NotKnownAtInstant
from terms.licenses import LicenseCatalog, default_catalog
from terms.propagation import PropagationEngine, ResponsibilityStep
from terms.propagation.rules import ConflictState, Severity
from graph.results.aggregates import plan_family_aggregate, plan_relicensing_points
from graph.results.read import (
    ModelResult,
    StoredResult,
    compute_scope,
    plan_chain,
    plan_facts_with_results,
    plan_model_results,
    plan_scope_view,
    plan_stored_results,
)
from graph.reads import (
    Ancestry,
    Deployment,
    DescendantsPage,
    FileMatch,
    PathsBetween,
    Plan,
    plan_ancestors,
    plan_by_file,
    plan_deployments,
    plan_descendants,
    plan_family,
    plan_paths_between,
)
from graph.reads import plan as c
from graph.reads.compute_thread import off_loop
from graph.reads.known_since import Known, plan_coverage, plan_known_since
from graph.reads.lookup import plan_check_known, plan_deployments_of, plan_family_deployments
from graph.reads.models import plan_connections, plan_facts, plan_history
from graph.reads.search import ModelFilters, SortKey, plan_descendant_counts, plan_roots, plan_search
from graph.reads.run_async import run_async
from graph.reads.scope import ScopeMembers, counted_prefixes, plan_family_drawing, plan_scope_members
from graph.reads.scope_conflicts import ScopeConflict, member_pages, plan_scope_conflicts
from graph.reads.scope_summary import MAX_DEPLOYMENTS, TOP_RELICENSING, count_rules, rule_rows, summarise
from graph.reads.types import (
    AsOfCoverage,
    EdgePage,
    FamilyEdge,
    FamilyNode,
    HistoryEvent,
    ModelFacts,
    ModelPage,
    PageKey,
    PropagationSummary,
    RelicensingPoint,
    RootPage,
    TermFlow,
)

__all__ = ["MAX_COMPUTED_SCOPE", "GraphReader"]

T = TypeVar("T")

DEFAULT_DRAWING = 300
"""Members drawn by default (the dashboard's limit): read together with a materialised family's aggregates."""

MAX_COMPUTED_SCOPE = 100_000
"""Most members of a scope the engine computes for one request (larger ones need materialised results)."""


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
        """Run any read plan (graph.reads or graph.results) over the async driver."""
        return await run_async(self.driver, plan, database=self.database, timeout_s=self.timeout_s)

    async def _or_none(self, plan: Plan[T]) -> T | None:
        try:
            return await self.run(plan)
        except ModelNotFound:
            return None

    # -- models -------------------------------------------------------------------------------
    async def facts(self, ids: Sequence[str], *, as_of: datetime | None = None) -> dict[str, ModelFacts]:
        return await self.run(plan_facts(ids, as_of=as_of))

    async def known_since(self, ids: Sequence[str]) -> dict[str, Known]:
        """The earliest instant anything of each model is known from (graph.reads.known_since), by the key asked."""
        return await self.run(plan_known_since(ids))

    async def check_known(self, model_id: str, as_of: datetime) -> None:
        """Raise NotKnownAtInstant when the graph holds the model but it is not known at ``as_of``
        (a model not held at all raises nothing: it is unknown, the caller's None)."""
        try:
            await self.run(plan_check_known(model_id, as_of))
        except NotKnownAtInstant:
            raise
        except ModelNotFound:
            return

    async def facts_with_results(self, ids: Sequence[str]) -> tuple[dict[str, ModelFacts], dict[str, StoredResult]]:
        """Current facts and stored propagation results (by the key asked), in one read."""
        return await self.run(plan_facts_with_results(ids))

    async def search(
        self,
        filters: ModelFilters,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool | None = None,
        limit: int,
        after: PageKey | None = None,
        with_total: bool = True,
    ) -> ModelPage:
        return await self.run(
            plan_search(filters, sort=sort, descending=descending, limit=limit, after=after, with_total=with_total)
        )

    async def roots(self, *, limit: int, after: PageKey | None = None, with_total: bool = True) -> RootPage:
        return await self.run(plan_roots(limit=limit, after=after, with_total=with_total))

    async def descendant_counts(self, ids: Sequence[str]) -> dict[str, int]:
        """How many models sit below each model now (any depth), by the key asked."""
        return await self.run(plan_descendant_counts(ids))

    async def connections(self, ids: Sequence[str], **options: Any) -> dict[str, EdgePage]:
        return await self.run(plan_connections(ids, **options))

    async def history(self, ids: Sequence[str]) -> dict[str, tuple[HistoryEvent, ...]]:
        return await self.run(plan_history(ids))

    async def deployments_of(
        self, ids: Sequence[str], *, as_of: datetime | None = None
    ) -> dict[str, tuple[Deployment, ...]]:
        """Deployments serving each model itself (depth 0), batched."""
        return await self.run(plan_deployments_of(ids, as_of=as_of))

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
    async def propagation(
        self,
        ids: Sequence[str],
        *,
        as_of: datetime | None = None,
        facts: dict[str, ModelFacts] | None = None,
        stored: dict[str, StoredResult] | None = None,
    ) -> dict[str, ModelResult]:
        """Each model's result (by the key asked): materialised when current and about now, else computed."""
        plan = plan_model_results(ids, as_of=as_of, engine=self.engine, catalog=self.catalog, facts=facts, stored=stored)
        return await self.run(plan)

    async def responsibility_chain(self, model_id: str, *, as_of: datetime | None = None) -> tuple[ResponsibilityStep, ...]:
        """The chain of a model (current id) as of ``as_of`` (computed; chains are not materialised)."""
        return await self.run(plan_chain(model_id, as_of=as_of, engine=self.engine))

    async def _materialised_family(self, root: str, skip: tuple[str, ...]) -> PropagationSummary | None:
        """A root's family from materialised results (its reads run concurrently), fixture models under ``skip``
        left out; None when some member is not materialised (or the root is unknown)."""
        aggregate, stored, sizes, points, deployed, drawing = await asyncio.gather(
            self.run(plan_family_aggregate(root, catalog=self.catalog, fixture_prefixes=skip)),
            self.run(plan_stored_results([root])),
            self._or_none(plan_family(root, fixture_prefixes=skip)),
            self.run(plan_relicensing_points(root, limit=TOP_RELICENSING, fixture_prefixes=skip)),
            self.run(plan_family_deployments(root, limit=MAX_DEPLOYMENTS, fixture_prefixes=skip)),
            self.run(plan_family_drawing(root, DEFAULT_DRAWING, fixture_prefixes=skip)),
        )
        if aggregate is None or sizes is None or aggregate.unmaterialised or aggregate.root_state is None:
            return None
        found = stored.get(root)
        if found is None or found.is_stale(self.catalog):
            return None
        rules: Counter[tuple[str, Severity]] = Counter(
            {(r.rule, Severity(r.severity)): r.conflicts for r in aggregate.conflicts_by_rule}
        )
        rule_models: Counter[tuple[str, Severity]] = Counter(
            {(r.rule, Severity(r.severity)): r.models for r in aggregate.conflicts_by_rule}
        )
        count_rules(found.result(self.catalog), rules, rule_models)  # the root's own
        relicensing = tuple(
            RelicensingPoint(parent, p.model_id, p.dropped_terms, parent_license, p.license_id, p.downstream)
            for p in points
            for parent, parent_license, _ in sorted(p.parents)
        )
        return PropagationSummary(
            scope=f"root:{root}",
            total=aggregate.descendants + 1,
            by_depth=((0, 1), *sizes.by_depth),
            by_relation=sizes.by_relation,
            term_flow=tuple(TermFlow(t.term_id, t.kind, t.keep, t.drop, t.violate) for t in aggregate.term_flow),
            relicensing=relicensing,
            conflicts_by_rule=rule_rows(rules, rule_models),
            deployments=deployed[0],
            deployments_total=deployed[1],
            source="materialised",
            root=aggregate.root,
            drawing=(DEFAULT_DRAWING, *drawing),
            fixtures_left_out=skip,
        )

    def licenses_imposing(self, term_id: str) -> list[str]:
        return sorted(e.id for e in self.catalog if any(t.id == term_id for t in self.catalog.terms(e.id).all))

    async def drawing(
        self, root: str, *, limit: int, fixture_prefixes: Sequence[str] | None = None
    ) -> tuple[tuple[FamilyNode, ...], tuple[FamilyEdge, ...], int]:
        """The nearest ``limit`` members of a root's family with the edges among them, and the family size
        (fixture models left out as by :func:`graph.reads.scope.counted_prefixes`)."""
        return await self.run(plan_family_drawing(root, limit, fixture_prefixes=fixture_prefixes))

    async def propagation_scope(
        self,
        *,
        root: str | None = None,
        license_id: str | None = None,
        term_id: str | None = None,
        as_of: datetime | None = None,
        include_fixtures: bool = False,
    ) -> PropagationSummary | None:
        """Aggregates over a root's family, or over what a licence or a term reaches (None: unknown root);
        constructed fixture models are left out unless ``include_fixtures`` (or the root asked for is one)."""
        if sum(x is not None for x in (root, license_id, term_id)) != 1:
            raise InvalidArgument("name exactly one of root, license or term")
        as_of = c.norm_as_of(as_of)
        skip = counted_prefixes(root, include_fixtures=include_fixtures)
        if root is not None and as_of is None:
            found = await self._materialised_family(root, skip)
            if found is not None:
                return found
        scope = await self.scope_members(
            root=root, license_id=license_id, term_id=term_id, as_of=as_of, include_fixtures=include_fixtures
        )  # a root not known at as_of: NotKnownAtInstant, no family to speak of then
        if scope is None:
            return None
        if len(scope.members) > MAX_COMPUTED_SCOPE:
            raise InvalidArgument(
                f"{scope.scope} reaches {len(scope.members)} models; scopes over {MAX_COMPUTED_SCOPE} are answered "
                "only from materialised results (a root, now)"
            )
        ids = [m.id for m in scope.members]
        loaded = await self.run(plan_scope_view(ids, as_of=as_of))
        if root is not None and scope.sources[0] not in loaded.view.nodes and scope.sources[0] not in loaded.left_out:
            return None
        computed = await off_loop(compute_scope, loaded, ids, self.engine)
        depths = {m.id: m.depth for m in scope.members}
        served = await self.run(plan_deployments_of(ids, as_of=as_of, depths=depths))
        summary = replace(await off_loop(_summary, scope, loaded, computed, served, self.catalog), fixtures_left_out=skip)
        if as_of is not None:
            summary = replace(summary, coverage=await self._coverage(scope, root, license_id, term_id, as_of, skip))
        return summary if term_id is None else _only_terms(summary, {term_id})

    async def scope_members(
        self,
        *,
        root: str | None = None,
        license_id: str | None = None,
        term_id: str | None = None,
        as_of: datetime | None = None,
        include_fixtures: bool = False,
    ) -> ScopeMembers | None:
        """The members of a root's family or of what a licence or term reaches (None: unknown root); a root
        not known at ``as_of`` raises NotKnownAtInstant. Constructed fixtures are members only when asked for
        (as in :meth:`propagation_scope`), so a list agrees with the scope's counts."""
        if sum(x is not None for x in (root, license_id, term_id)) != 1:
            raise InvalidArgument("name exactly one of root, license or term")
        as_of = c.norm_as_of(as_of)
        skip = counted_prefixes(root, include_fixtures=include_fixtures)
        scope = await self.run(self._scope_members(root, license_id, term_id, as_of, skip))
        if scope is not None and root is not None and as_of is not None:
            await self.run(plan_check_known(scope.sources[0], as_of))
        return scope

    async def scope_conflict_pages(
        self,
        scope: ScopeMembers,
        *,
        as_of: datetime | None = None,
        rule: str | None = None,
        severity: Severity | None = None,
    ) -> AsyncIterator[tuple[ScopeConflict, ...]]:
        """The scope's conflicts (graph.reads.scope_conflicts), a page of members at a time, in order."""
        as_of = c.norm_as_of(as_of)
        for ids in member_pages(scope):
            yield await self.run(plan_scope_conflicts(
                ids, as_of=as_of, engine=self.engine, catalog=self.catalog, rule=rule, severity=severity
            ))

    def _scope_members(
        self, root: str | None, license_id: str | None, term_id: str | None, as_of: datetime | None, skip: Sequence[str]
    ) -> Plan[ScopeMembers | None]:
        if root is not None:
            return plan_scope_members(root=root, scope=f"root:{root}", as_of=as_of, fixture_prefixes=skip)
        if license_id is not None:
            return plan_scope_members(
                licenses=[license_id], scope=f"license:{license_id}", as_of=as_of, fixture_prefixes=skip
            )
        assert term_id is not None
        return plan_scope_members(
            licenses=self.licenses_imposing(term_id), scope=f"term:{term_id}", as_of=as_of, fixture_prefixes=skip
        )

    async def _coverage(
        self,
        then: ScopeMembers,
        root: str | None,
        license_id: str | None,
        term_id: str | None,
        as_of: datetime,
        skip: Sequence[str],
    ) -> AsOfCoverage:
        """Of the scope's models then or now, how many are known at ``as_of`` (so an answer about few models
        at an early instant says how many it cannot speak for)."""
        now = await self.run(self._scope_members(root, license_id, term_id, None, skip))
        ids = {m.id for m in then.members} | {m.id for m in (now.members if now is not None else ())}
        return await self.run(plan_coverage(sorted(ids), as_of))


def _summary(
    scope: ScopeMembers,
    loaded: Any,
    computed: Any,
    served: dict[str, tuple[Deployment, ...]],
    catalog: LicenseCatalog,
) -> PropagationSummary:
    """A computed scope's aggregates (CPU: run in a worker thread)."""
    deployments = sorted((d for ds in served.values() for d in ds), key=lambda d: (d.depth, d.model_id, d.id))
    return summarise(scope, loaded.view, computed.results, computed.flow, deployments, catalog)


def _only_terms(summary: PropagationSummary, terms: set[str]) -> PropagationSummary:
    return replace(summary, term_flow=tuple(t for t in summary.term_flow if t.term_id in terms))
