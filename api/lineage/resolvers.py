"""Query fields of the lineage domain: model, models, path, modelByFileSha256, roots."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from api.asof import checked_as_of
from api.enums import Relation
from api.errors import translated
from api.lineage import service
from api.lineage.types import Model, load_model
from api.selection import selects_any
from api.pagination import DEFAULT_PAGE, PageInfo, check_first, decode_cursor, encode_cursor

__all__ = ["FamilyRoot", "LineageQuery", "ModelConnection"]

_TOTAL = frozenset({"totalCount"})
RESULT_FIELDS = frozenset({"effectiveTerms", "conflicts", "commercialStatus", "euAiAct", "propagationSource"})
"""Model fields answered from the propagation result: asked for, the result is read with the model's facts."""

Info = strawberry.Info[Any, None]


@strawberry.type
class ModelConnection:
    total_count: int
    edges: list[Model]
    page_info: PageInfo


@strawberry.type(description="A model without parents, and the size of its family.")
class FamilyRoot:
    model: Model
    descendant_count: int


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

    @strawberry.field(description="Models whose id contains `search` (any case), filtered; ordered by id, a page at a time.")
    async def models(
        self,
        info: Info,
        search: str | None = None,
        license: str | None = None,
        author: str | None = None,
        relation: Relation | None = None,
        has_conflict: bool | None = None,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
    ) -> ModelConnection:
        check_first(first)
        page = await service.model_page(
            info.context.graph,
            search=search,
            license_id=license,
            author=author,
            relation=None if relation is None else relation.value,
            has_conflict=has_conflict,
            first=first,
            after=decode_cursor("models", after),
            with_total=selects_any(info, _TOTAL),  # counting every match costs more than the page
        )
        info.context.loaders.prime_models(page.items, None)
        return ModelConnection(
            total_count=page.total if page.total is not None else 0,  # (not selected, so never sent)
            edges=[Model.from_internal(f, None) for f in page.items],
            page_info=PageInfo(
                has_next_page=page.next_after is not None,
                end_cursor=None if page.next_after is None else encode_cursor("models", page.next_after),
            ),
        )

    @strawberry.field(description="Lineage paths (model ids) between two models, either way; else through their nearest common ancestors.")
    async def path(
        self,
        info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        as_of: datetime | None = None,
    ) -> list[list[str]]:
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

    @strawberry.field(description="Models without parents, largest families first.")
    async def roots(self, info: Info, first: int = DEFAULT_PAGE) -> list[FamilyRoot]:
        check_first(first)
        found = await service.roots(info.context.graph, first=first)
        info.context.loaders.prime_models([r.model for r in found], None)
        return [FamilyRoot(model=Model.from_internal(r.model, None), descendant_count=r.descendants) for r in found]

