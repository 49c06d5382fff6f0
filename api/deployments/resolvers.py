"""Mutation of the deployments domain: ``registerDeployment`` (behind an API key)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.auth import RequireApiKey
from api.deployments import service
from api.deployments.types import Deployment
from api.enums import DeploymentKind

__all__ = ["DeploymentsMutation"]

Info = strawberry.Info[Any, None]


@strawberry.type
class DeploymentsMutation:
    @strawberry.mutation(
        permission_classes=[RequireApiKey],
        description=(
            "Record that `operator` runs `model`. The deployment is written at once; the model's propagation "
            "results (responsibility chain, dashboards) are refreshed asynchronously by the workers, so they "
            "show the deployment shortly after this answer."
        ),
    )
    async def register_deployment(
        self,
        info: Info,
        model: strawberry.ID,
        operator: str,
        kind: DeploymentKind = DeploymentKind.REGISTERED,
        url: str | None = None,
    ) -> Deployment:
        found = await service.register_deployment(
            info.context.graph,
            info.context.crawls,
            model_id=str(model),
            operator=operator,
            kind=kind,
            url=url,
            request_id=info.context.request_id,
        )
        return Deployment.from_internal(found)
