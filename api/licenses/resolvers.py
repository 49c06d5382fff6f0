"""Query fields of the licence domain: licenses, license(id), terms."""

from __future__ import annotations

from typing import Any

import strawberry

from api.licenses.service import find_license, index
from api.licenses.types import License, Term

__all__ = ["LicensesQuery"]

Info = strawberry.Info[Any, None]


@strawberry.type
class LicensesQuery:
    @strawberry.field(description="Every licence of the knowledge base, by id.")
    def licenses(self, info: Info) -> list[License]:
        catalog = info.context.graph.reader.catalog
        return [License.from_internal(e, catalog) for e in index(catalog).licenses]

    @strawberry.field(description="A licence by canonical id or alias, any case; null when the knowledge base does not know it.")
    def license(self, info: Info, id: strawberry.ID) -> License | None:
        catalog = info.context.graph.reader.catalog
        found = find_license(catalog, str(id))
        return None if found is None else License.from_internal(found, catalog)

    @strawberry.field(description="Every term any licence imposes, by id.")
    def terms(self, info: Info) -> list[Term]:
        catalog = info.context.graph.reader.catalog
        return [Term.from_internal(t, catalog) for t in index(catalog).terms]
