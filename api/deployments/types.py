"""GraphQL type of a deployment (a Space, inference provider, endpoint or registered deployment)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.enums import DeploymentKind
from graph.reads import Deployment as ReadDeployment

__all__ = ["Deployment"]


@strawberry.type(description="Something serving a model: a Space, an inference provider, an endpoint, a registered deployment.")
class Deployment:
    id: strawberry.ID
    kind: DeploymentKind
    model_id: strawberry.ID
    operator: str | None
    status: str | None
    url: str | None
    depth: int = strawberry.field(description="0: serves the model asked about; n: serves a descendant n levels below.")
    first_seen: datetime | None
    last_seen: datetime | None

    @classmethod
    def from_internal(cls, d: ReadDeployment) -> Deployment:
        return cls(
            id=strawberry.ID(d.id),
            kind=d.kind,
            model_id=strawberry.ID(d.model_id),
            operator=d.operator,
            status=d.status,
            url=d.url,
            depth=d.depth,
            first_seen=d.first_seen,
            last_seen=d.last_seen,
        )
