"""Query fields of the lineage domain: model, models, path, modelByFileSha256, roots."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry

from api.asof import checked_as_of
from api.enums import CommercialStatusKind, KnownFrom, Relation, Severity
from api.errors import translated
from api.lineage import service
from api.lineage.paths import ModelPaths
from api.lineage.types import Model, load_model
from api.pagination import DEFAULT_PAGE, PageInfo, check_first, decode_key_cursor, encode_key_cursor
from api.selection import selects_any
from graph.reads.search import ModelFilters, SortKey
from graph.reads.types import PageKey

__all__ = ["FamilyRoot", "LineageQuery", "ModelConnection", "ModelSort", "RootConnection"]

_TOTAL = frozenset({"totalCount"})
RESULT_FIELDS = frozenset({"effectiveTerms", "conflicts", "commercialStatus", "euAiAct", "propagationSource"})
"""Model fields answered from the propagation result: asked for, the result is read with the model's facts."""

Info = strawberry.Info[Any, None]


@strawberry.enum(description="What a page of models is ordered by (ties by id). Unknown values come last either way.")
class ModelSort(enum.Enum):
    ID = SortKey.ID
    DOWNLOADS = SortKey.DOWNLOADS
    LIKES = SortKey.LIKES
    CREATED = SortKey.CREATED
    LAST_MODIFIED = SortKey.LAST_MODIFIED
    DESCENDANT_COUNT = SortKey.DESCENDANT_COUNT


@strawberry.type
class ModelConnection:
    total_count: int
    edges: list[Model]
    page_info: PageInfo


@strawberry.type(description="A model without parents, and the size of its family.")
class FamilyRoot:
    model: Model
    descendant_count: int = strawberry.field(description="Models below it now, any depth.")


@strawberry.type
class RootConnection:
    total_count: int = strawberry.field(description="Models without a parent now.")
    edges: list[FamilyRoot]
    page_info: PageInfo


def _page_info(kind: str, order: str, next_after: PageKey | None) -> PageInfo:
    return PageInfo(
        has_next_page=next_after is not None,
        end_cursor=None if next_after is None else encode_key_cursor(kind, order, next_after),
    )


@strawberry.type
class LineageQuery:
    @strawberry.field(
        description="A model by id (or an old id), as it was at `asOf` (default: now); null when unknown. At an `asOf` "
        "before its `knownSince` an error with extensions.code NOT_KNOWN_AT_INSTANT (and knownSince, asOf, modelId)."
    )
    async def model(self, info: Info, id: strawberry.ID, as_of: datetime | None = None) -> Model | None:
        as_of = checked_as_of(as_of)
        if as_of is None and selects_any(info, RESULT_FIELDS):
            info.context.loaders.want_results(str(id))
        with translated():
            found = await load_model(info, str(id), as_of)
            if found is None and as_of is not None:
                await info.context.graph.reader.check_known(str(id), as_of)  # NotKnownAtInstant: held, not known then
        return found

    @strawberry.field(
        description="Models matching every filter given, now, a page at a time (ordered by `sort`, then id). "
        "`search`: the id contains it, any case. `license`: declares this licence now (canonical id or alias, any "
        "case; NOT_FOUND when unknown). `author`: the id's namespace, any case. `relation`: derived from a parent "
        "this way. `hasConflict`: has a warning or a violation (info findings are not conflicts). `severity`, `rule`, "
        "`commercialStatus`: from the stored propagation results (a model without one matches none). `licenseKnown`: "
        "declares a licence the knowledge base recognises (false: none declared, unrecognised or not recorded). "
        "`knownFrom`: CRAWLED (its page was read) or LISTED (known from the hub's listing only). `descending` "
        "defaults to false for ID and true for every other order."
    )
    async def models(
        self,
        info: Info,
        search: str | None = None,
        license: str | None = None,
        author: str | None = None,
        relation: Relation | None = None,
        has_conflict: bool | None = None,
        severity: Severity | None = None,
        rule: str | None = None,
        commercial_status: CommercialStatusKind | None = None,
        license_known: bool | None = None,
        known_from: KnownFrom | None = None,
        sort: ModelSort = ModelSort.ID,
        descending: bool | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> ModelConnection:
        check_first(first)
        key = SortKey(sort.value)
        desc = (key is not SortKey.ID) if descending is None else descending
        order = f"{key.value}:{'desc' if desc else 'asc'}"
        filters = ModelFilters(
            search=search, license_id=license, author=author, relation=relation, has_conflict=has_conflict,
            severity=severity, rule=rule, commercial_status=commercial_status, license_known=license_known,
            known_from=known_from,
        )
        page = await service.model_page(
            info.context.graph,
            filters,
            sort=key,
            descending=desc,
            first=first,
            after=decode_key_cursor("models", order, after),
            with_total=selects_any(info, _TOTAL),  # counting every match costs more than the page
        )
        info.context.loaders.prime_models(page.items, None)
        return ModelConnection(
            total_count=page.total if page.total is not None else 0,  # (not selected, so never sent)
            edges=[Model.from_internal(f, None) for f in page.items],
            page_info=_page_info("models", order, page.next_after),
        )

    @strawberry.field(
        description="How `to` is related to `from` (ids or old ids), with every lineage path between them ordered from "
        "`from` to `to`, each hop with its edge and evidence: `to` descends from `from`, or the reverse, or both descend "
        "from nearest common ancestors, or they are unrelated. NOT_FOUND (extensions.argument) for an unknown id; the "
        "trivial path for the same model. At `asOf`, the edges valid then."
    )
    async def path(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        as_of: datetime | None = None,
    ) -> ModelPaths:
        return await service.paths_between(info.context.graph, source=str(from_), target=str(to), as_of=checked_as_of(as_of))

    @strawberry.field(description="The model holding a file with this sha256 (the first by id when several do); null when none.")
    async def model_by_file_sha256(self, info: Info, sha256: str, as_of: datetime | None = None) -> Model | None:
        as_of = checked_as_of(as_of)
        found = await service.file_models(info.context.graph, sha256=sha256, as_of=as_of)
        return Model.from_internal(found[0], as_of) if found else None

    @strawberry.field(description="Every model holding a file with this sha256.")
    async def models_by_file_sha256(self, info: Info, sha256: str, as_of: datetime | None = None) -> list[Model]:
        as_of = checked_as_of(as_of)
        found = await service.file_models(info.context.graph, sha256=sha256, as_of=as_of)
        return [Model.from_internal(f, as_of) for f in found]

    @strawberry.field(description="Models without parents now, largest families first (then by id), a page at a time.")
    async def roots(self, info: Info, first: int = DEFAULT_PAGE, after: str | None = None) -> RootConnection:
        check_first(first)
        order = "descendant_count:desc"
        page = await service.roots(
            info.context.graph,
            first=first,
            after=decode_key_cursor("roots", order, after),
            with_total=selects_any(info, _TOTAL),
        )
        info.context.loaders.prime_models([r.model for r in page.items], None)
        return RootConnection(
            total_count=page.total if page.total is not None else 0,
            edges=[FamilyRoot(model=Model.from_internal(r.model, None), descendant_count=r.descendants) for r in page.items],
            page_info=_page_info("roots", order, page.next_after),
        )
