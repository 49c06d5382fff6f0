"""Query field of the propagation domain: ``propagation(root | license | term, asOf, includeFixtures)``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from api.asof import checked_as_of
from api.propagation import service
from api.propagation.types import Propagation

__all__ = ["PropagationQuery"]

Info = strawberry.Info[Any, None]


@strawberry.type
class PropagationQuery:
    @strawberry.field(
        description="How a root's family, a licence or a term propagates (exactly one of them), as of `asOf`; null when "
        "unknown. A root not known at `asOf` is an error NOT_KNOWN_AT_INSTANT; `asOfCoverage` says how many of the "
        "scope's models the answer at `asOf` cannot speak for. Constructed fixture models (ids under the "
        "LINEAGE_GRAPH_FIXTURE_PREFIXES namespaces, `lineage-fixtures/` by default) are not counted unless "
        "`includeFixtures` is true or the root asked for is one of them."
    )
    async def propagation(
        self,
        info: Info,
        root_: Annotated[strawberry.ID | None, strawberry.argument(name="root")] = None,
        license: str | None = None,
        term: str | None = None,
        as_of: datetime | None = None,
        include_fixtures: Annotated[
            bool,
            strawberry.argument(
                description="Count the constructed fixture models (`lineage-fixtures/…`: test records that exist on "
                "no hub) in every aggregate; by default they are left out of statistics about real models. A root "
                "that is itself a fixture always counts its own family."
            ),
        ] = False,
    ) -> Propagation | None:
        as_of = checked_as_of(as_of)
        found = await service.scope_summary(
            info.context.graph,
            root=None if root_ is None else str(root_),
            license_id=license,
            term_id=term,
            as_of=as_of,
            include_fixtures=include_fixtures,
        )
        return None if found is None else Propagation.from_internal(found, as_of)
