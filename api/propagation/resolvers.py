"""Query field of the propagation domain: ``propagation(root | license | term, asOf)``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from api.propagation import service
from api.propagation.types import Propagation

__all__ = ["PropagationQuery"]

Info = strawberry.Info[Any, None]


@strawberry.type
class PropagationQuery:
    @strawberry.field(
        description="How a root's family, a licence or a term propagates (exactly one of them), as of `asOf`; null when unknown."
    )
    async def propagation(
        self,
        info: Info,
        root_: Annotated[strawberry.ID | None, strawberry.argument(name="root")] = None,
        license: str | None = None,
        term: str | None = None,
        as_of: datetime | None = None,
    ) -> Propagation | None:
        found = await service.scope_summary(
            info.context.graph,
            root=None if root_ is None else str(root_),
            license_id=license,
            term_id=term,
            as_of=as_of,
        )
        return None if found is None else Propagation.from_internal(found, as_of)
