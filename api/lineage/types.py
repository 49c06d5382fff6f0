"""GraphQL types of lineage: a model with its facts and evidence, its parents and children,
ancestors, descendants, history, and everything the propagation engine says about it.

A :class:`Model` is built with :meth:`Model.from_internal` from the graph's read model
(``ModelFacts``); the graph key and the instant asked (``as_of``) are kept private and every
nested field answers as of that instant through the request's DataLoaders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.deployments.types import Deployment
from api.enums import ConflictState, KnownFrom, ModelStatus, Relation
from api.errors import translated
from api.loaders import ConnectionKey, LoaderName
from api.pagination import DEFAULT_PAGE, MAX_DEPTH, PageInfo, bounded, check_first, decode_cursor, encode_cursor
from api.propagation.types import (
    CommercialStatus,
    Conflict,
    EffectiveTerm,
    EuAiActStatus,
    ResponsibilityStep,
)
from graph.reads import Ancestry as ReadAncestry
from graph.reads import LineageEdge, ModelRef
from graph.reads.models import facts_of_ref
from graph.reads.scope_summary import conflict_state
from graph.reads.types import EdgePage, ModelFacts
from graph.reads.types import HistoryEvent as ServiceEvent
from graph.results.read import ModelResult

__all__ = [
    "AncestorEntry",
    "Ancestry",
    "Derivation",
    "DerivationConnection",
    "DerivationEvidence",
    "DescendantConnection",
    "DescendantEntry",
    "Evidence",
    "HistoryEvent",
    "Model",
    "load_model",
    "load_model_strict",
]

Info = strawberry.Info[Any, None]


@strawberry.type(description="Where a fact was read: source URL, revision, when, by which crawl run.")
class Evidence:
    source_url: str | None
    revision: str | None
    observed_at: datetime | None
    crawl_run_id: str | None
    first_seen: datetime | None


@strawberry.type(description="One piece of evidence for a derivation.")
class DerivationEvidence:
    kind: str
    detail: str | None
    relation: Relation
    confidence: float
    source_url: str | None
    revision: str | None
    observed_at: datetime | None
    first_seen: datetime | None


async def load_model(info: Info, model_id: str, as_of: datetime | None) -> Model | None:
    facts = await info.context.loaders[LoaderName.MODEL].load((model_id, as_of))
    return None if facts is None else Model.from_internal(facts, as_of)


async def load_model_strict(info: Info, model_id: str, as_of: datetime | None) -> Model:
    """A model that the graph is known to hold (an end of an edge just read)."""
    found = await load_model(info, model_id, as_of)
    if found is None:
        raise LookupError(f"model {model_id!r} vanished while the request was answered")
    return found


@strawberry.type(description="A DERIVED_FROM edge (child derived from parent) valid at the instant asked.")
class Derivation:
    relation: Relation
    confidence: float
    evidence: list[DerivationEvidence]
    valid_from: datetime | None
    valid_to: datetime | None
    edge: strawberry.Private[LineageEdge]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field
    async def parent(self, info: Info) -> Model:
        return await load_model_strict(info, self.edge.parent, self.as_of)

    @strawberry.field
    async def child(self, info: Info) -> Model:
        return await load_model_strict(info, self.edge.child, self.as_of)

    @classmethod
    def from_internal(cls, e: LineageEdge, as_of: datetime | None) -> Derivation:
        return cls(
            relation=e.relation,
            confidence=e.confidence,
            evidence=[
                DerivationEvidence(
                    kind=p.kind,
                    detail=p.detail,
                    relation=p.relation,
                    confidence=p.confidence,
                    source_url=p.source_url,
                    revision=p.revision,
                    observed_at=p.last_seen,
                    first_seen=p.first_seen,
                )
                for p in e.evidence
            ],
            valid_from=e.valid_from,
            valid_to=e.valid_to,
            edge=e,
            as_of=as_of,
        )


@strawberry.type
class DerivationConnection:
    total_count: int
    edges: list[Derivation]
    page_info: PageInfo

    @classmethod
    def from_internal(cls, page: EdgePage, as_of: datetime | None, kind: str) -> DerivationConnection:
        return cls(
            total_count=page.total,
            edges=[Derivation.from_internal(e, as_of) for e in page.edges],
            page_info=PageInfo(
                has_next_page=page.next_after is not None,
                end_cursor=None if page.next_after is None else encode_cursor(kind, page.next_after),
            ),
        )


# Fields of Model that the lineage reads' ModelRef already holds: an ancestor asked only for these
# is answered from the ancestry read itself, without reading its facts again.
_REF_FIELDS = frozenset({"id", "author", "status", "declaredLicenseId", "gated", "aliases", "stale", "evidence", "__typename"})


def _only_ref_fields(info: Info) -> bool:
    selected = info.selected_fields
    return bool(selected) and all(
        getattr(sel, "name", None) in _REF_FIELDS for field in selected for sel in getattr(field, "selections", ())
    )


@strawberry.type
class AncestorEntry:
    depth: int = strawberry.field(description="Shortest distance from the model (1 = a parent).")
    ref: strawberry.Private[ModelRef]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field
    async def model(self, info: Info) -> Model:
        if _only_ref_fields(info):
            return Model.from_internal(facts_of_ref(self.ref), self.as_of)
        return await load_model_strict(info, self.ref.id, self.as_of)


@strawberry.type(description="Ancestors to the roots: each with its depth, and every path (model ids) from the model to a root.")
class Ancestry:
    models: list[AncestorEntry]
    paths: list[list[str]]
    roots: list[str]
    truncated: bool = strawberry.field(description="maxDepth (or the path cap) cut something off.")
    edges: list[Derivation]

    @classmethod
    def from_internal(cls, a: ReadAncestry, as_of: datetime | None) -> Ancestry:
        return cls(
            models=[AncestorEntry(depth=n.depth, ref=n.model, as_of=as_of) for n in a.ancestors],
            paths=[list(p) for p in a.paths],
            roots=list(a.roots),
            truncated=a.truncated,
            edges=[Derivation.from_internal(e, as_of) for e in a.edges],
        )


@strawberry.type
class DescendantEntry:
    depth: int
    relation: Relation = strawberry.field(description="How this descendant itself was derived (its edge towards the model).")
    model_id: strawberry.Private[str]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field
    async def model(self, info: Info) -> Model:
        return await load_model_strict(info, self.model_id, self.as_of)


@strawberry.type
class DescendantConnection:
    total_count: int
    edges: list[DescendantEntry]
    page_info: PageInfo


@strawberry.type(description="A change of a versioned fact: license, base_model, publisher, status or gated.")
class HistoryEvent:
    at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    evidence: Evidence | None

    @classmethod
    def from_internal(cls, e: ServiceEvent) -> HistoryEvent:
        evidence = None
        if e.source_url or e.revision or e.observed_at or e.run:
            evidence = Evidence(
                source_url=e.source_url, revision=e.revision, observed_at=e.observed_at, crawl_run_id=e.run,
                first_seen=e.observed_at,
            )
        return cls(at=e.at, field=e.field, old_value=e.old_value, new_value=e.new_value, evidence=evidence)


def _relation_arg(relation: Relation | None) -> str | None:
    return None if relation is None else relation.value


@strawberry.type(description="A model as it was at the instant asked (now by default), with what the graph and the engine know.")
class Model:
    id: strawberry.ID
    author: str | None
    status: ModelStatus
    declared_license_id: str | None = strawberry.field(description="Canonical id of the licence declared at the instant asked.")
    license_raw: str | None
    license_name: str | None
    pipeline_tag: str | None
    library: str | None
    created_at: datetime | None
    last_modified: datetime | None
    sha: str | None
    downloads: int | None
    likes: int | None
    gated: str | None
    params: float | None
    training_compute_flops: float | None
    tags: list[str]
    aliases: list[str] = strawberry.field(description="Old ids this model answered to (renamed repos).")
    stale: bool = strawberry.field(description="A later full crawl of its family (or sweep of the hub) no longer saw it.")
    known_from: KnownFrom | None = strawberry.field(
        description="What these facts rest on (null: only named as another model's parent). A LISTED model is crawled "
        "on demand when an investigation, a dossier or requestCrawl asks about it."
    )
    listed_at: datetime | None = strawberry.field(description="When the hub's listing last showed it.")
    crawled_at: datetime | None = strawberry.field(description="When the model itself was last read.")
    evidence: Evidence | None
    facts: strawberry.Private[ModelFacts]
    as_of: strawberry.Private[datetime | None]

    @classmethod
    def from_internal(cls, f: ModelFacts, as_of: datetime | None) -> Model:
        ref = f.ref
        return cls(
            id=strawberry.ID(ref.id),
            author=ref.author,
            status=ref.status,
            declared_license_id=ref.declared_license,
            license_raw=f.license_raw,
            license_name=f.license_name,
            pipeline_tag=f.pipeline_tag,
            library=f.library,
            created_at=f.created_at,
            last_modified=f.last_modified,
            sha=f.sha,
            downloads=f.downloads,
            likes=f.likes,
            gated=ref.gated,
            params=f.params,
            training_compute_flops=f.training_compute_flops,
            tags=list(f.tags),
            aliases=list(ref.aliases),
            stale=ref.stale,
            known_from=f.known_from,
            listed_at=f.listed_at,
            crawled_at=f.crawled_at,
            evidence=Evidence(
                source_url=ref.source_url,
                revision=ref.revision,
                observed_at=ref.last_seen,
                crawl_run_id=ref.last_run,
                first_seen=ref.first_seen,
            ),
            facts=f,
            as_of=as_of,
        )

    @strawberry.field(
        description="The earliest instant from which Lineage knows anything about this model: the earliest valid_from of "
        "its versioned facts (licence, publisher, base models both ways, status, gate) and its first observation. "
        "Asked at an earlier `asOf`, `model` answers the error NOT_KNOWN_AT_INSTANT. Null only when nothing dated is known."
    )
    async def known_since(self, info: Info) -> datetime | None:
        if self.facts.known_since is not None:  # as-of reads carry it
            return self.facts.known_since
        found: datetime | None = await info.context.loaders[LoaderName.KNOWN_SINCE].load(str(self.id))
        return found

    # -- propagation ----------------------------------------------------------------------------
    async def _propagated(self, info: Info) -> ModelResult | None:
        with translated():
            found: ModelResult | None = await info.context.loaders[LoaderName.PROPAGATION].load((str(self.id), self.as_of))
        return found

    @strawberry.field(description="Whether the propagation results were read from the store or computed for this request.")
    async def propagation_source(self, info: Info) -> str | None:
        found = await self._propagated(info)
        return None if found is None else found.source

    @strawberry.field(description="The worst severity among the model's conflicts.")
    async def conflict_state(self, info: Info) -> ConflictState:
        summary = self.facts.materialised
        if self.as_of is None and summary is not None and summary.conflict_state is not None:
            if summary.current(info.context.graph.reader.catalog.version):
                return summary.conflict_state
        found = await self._propagated(info)
        return conflict_state(None if found is None else found.result)

    @strawberry.field(description="Every term in force: own and inherited, with the licence and the path it came along.")
    async def effective_terms(self, info: Info) -> list[EffectiveTerm]:
        found = await self._propagated(info)
        if found is None:
            return []
        return EffectiveTerm.all_from(found.result, info.context.graph.reader.catalog)

    @strawberry.field(description="Every conflict, most severe first, each with the path that causes it.")
    async def conflicts(self, info: Info) -> list[Conflict]:
        found = await self._propagated(info)
        return [] if found is None else [Conflict.from_internal(c) for c in found.result.conflicts]

    @strawberry.field
    async def commercial_status(self, info: Info) -> CommercialStatus:
        found = await self._propagated(info)
        if found is None:
            return CommercialStatus.unknown(f"{self.id} has not been crawled: its licence is unknown")
        return CommercialStatus.from_internal(found.result.commercial)

    @strawberry.field(description=(
        "What cannot be known about the model's terms and parties, each as \"origin: reason\": a licence not "
        "recognised or not declared upstream, a cycle, a parent not recorded."))
    async def unknown_parts(self, info: Info) -> list[str]:
        found = await self._propagated(info)
        return [] if found is None else list(found.result.unknown_parts)

    @strawberry.field(description=(
        "Rules the engine could not check for this model because a datum it needs is not recorded (e.g. a "
        "deployment's user count): ids from the rule registry. A rule listed here is neither passed nor failed."))
    async def unchecked_rules(self, info: Info) -> list[str]:
        found = await self._propagated(info)
        return [] if found is None else list(found.result.unchecked_rules)

    @strawberry.field(description=(
        "Deployments, users, the model, then each ancestor back to the roots (or to a model whose parent is not "
        "recorded, with the licensor of the material it declares): party, role, obligations."))
    async def responsibility_chain(self, info: Info) -> list[ResponsibilityStep]:
        with translated():
            steps = await info.context.loaders[LoaderName.CHAIN].load((str(self.id), self.as_of))
            ids = sorted({s.model_id for s in steps})
            facts = await info.context.loaders[LoaderName.MODEL].load_many([(i, self.as_of) for i in ids])
        declared = {i: (f.ref.declared_license if f is not None else None) for i, f in zip(ids, facts, strict=True)}
        return [ResponsibilityStep.from_internal(s, declared.get) for s in steps]

    @strawberry.field
    async def eu_ai_act(self, info: Info) -> EuAiActStatus:
        found = await self._propagated(info)
        if found is None:
            return EuAiActStatus.unknown(f"{self.id} has not been crawled")
        return EuAiActStatus.from_internal(found.result.eu_ai_act)

    # -- lineage --------------------------------------------------------------------------------
    async def _connection(
        self, info: Info, name: LoaderName, relation: Relation | None, first: int, after: str | None
    ) -> DerivationConnection:
        check_first(first)
        kind = name.value
        key = ConnectionKey(str(self.id), _relation_arg(relation), first, decode_cursor(kind, after), self.as_of)
        with translated():
            page: EdgePage = await info.context.loaders[name].load(key)
        return DerivationConnection.from_internal(page, self.as_of, kind)

    @strawberry.field(description="The models this one derives from (edges valid at the instant asked), by parent id.")
    async def parents(
        self, info: Info, relation: Relation | None = None, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> DerivationConnection:
        return await self._connection(info, LoaderName.PARENTS, relation, first, after)

    @strawberry.field(description="The models derived from this one (edges valid at the instant asked), by child id.")
    async def children(
        self, info: Info, relation: Relation | None = None, first: int = DEFAULT_PAGE, after: str | None = None
    ) -> DerivationConnection:
        return await self._connection(info, LoaderName.CHILDREN, relation, first, after)

    @strawberry.field(description="Ancestors up to the roots, with every path.")
    async def ancestors(self, info: Info, max_depth: int = 10) -> Ancestry:
        bounded("maxDepth", max_depth, 1, MAX_DEPTH)
        with translated():
            found: ReadAncestry | None = await info.context.loaders[LoaderName.ANCESTRY].load(
                (str(self.id), self.as_of, max_depth)
            )
        if found is None:
            return Ancestry(models=[], paths=[], roots=[], truncated=False, edges=[])
        return Ancestry.from_internal(found, self.as_of)

    @strawberry.field(description=(
        "How many models derive from this one, at any depth: now from the ancestry index; at `asOf`, by walking the "
        f"edges valid then (up to {MAX_DEPTH} levels)."))
    async def descendant_count(self, info: Info) -> int:
        with translated():
            if self.as_of is None:
                found: int = await info.context.loaders[LoaderName.DESCENDANT_COUNT].load(str(self.id))
                return found
            page = await info.context.graph.reader.descendants(
                str(self.id), as_of=self.as_of, relations=None, max_depth=MAX_DEPTH, limit=1, cursor=None
            )
        return 0 if page is None else page.total

    @strawberry.field(description="Descendants, nearest first (by depth, then id), a page at a time, with the total.")
    async def descendants(
        self,
        info: Info,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
        relation: Relation | None = None,
        max_depth: int = 10,
    ) -> DescendantConnection:
        check_first(first)
        bounded("maxDepth", max_depth, 1, MAX_DEPTH)
        relations = None if relation is None else [relation.value]
        with translated():
            page = await info.context.graph.reader.descendants(
                str(self.id), as_of=self.as_of, relations=relations, max_depth=max_depth, limit=first, cursor=after
            )
        if page is None:
            return DescendantConnection(total_count=0, edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
        return DescendantConnection(
            total_count=page.total,
            edges=[
                DescendantEntry(depth=d.depth, relation=d.relation, model_id=d.model.id, as_of=self.as_of)
                for d in page.items
            ],
            page_info=PageInfo(has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor),
        )

    @strawberry.field(description="Deployments serving the model (and, if asked, any of its descendants).")
    async def deployments(self, info: Info, include_descendants: bool = False) -> list[Deployment]:
        with translated():
            if include_descendants:
                found = await info.context.graph.reader.deployments_reached(str(self.id), as_of=self.as_of)
            else:
                found = await info.context.loaders[LoaderName.DEPLOYMENTS].load((str(self.id), self.as_of))
        return [Deployment.from_internal(d) for d in found]

    @strawberry.field(description="Licence, base-model, publisher, status and gate changes over time (up to the instant asked).")
    async def history(self, info: Info) -> list[HistoryEvent]:
        with translated():
            events = await info.context.loaders[LoaderName.HISTORY].load(str(self.id))
        return [HistoryEvent.from_internal(e) for e in events if self.as_of is None or e.at <= self.as_of]
