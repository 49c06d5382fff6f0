"""Registered deployments: an organisation records where it runs a model (through the graph writer).

The model must already be in the graph (by id or old id). The deployment is written as an
observation with the evidence ``registered via API`` and the caller's key digest in the run
id. The recompute of the model's stored propagation results (and its descendants') is then
enqueued for the workers, never run inside the request: once a worker has done it, the
deployment is in the model's responsibility chain (as a deployer) and the dashboards'
deployments reached.
"""

from __future__ import annotations

from api.enums import DeploymentKind
from api.errors import BadUserInput, translated
from api.jobs.service import CrawlService
from graph.client import GraphClient
from graph.reads import Deployment
from graph.registration import registration

__all__ = ["register_deployment"]


async def register_deployment(
    graph: GraphClient,
    crawls: CrawlService,
    *,
    model_id: str,
    operator: str,
    kind: DeploymentKind,
    url: str | None,
    request_id: str,
) -> Deployment:
    """Write the deployment, enqueue the recompute of its model's results, and return it as the graph holds it."""
    with translated():
        facts = await graph.reader.facts([model_id])
        if model_id not in facts:
            raise BadUserInput(f"model {model_id!r} is not in the graph; crawl it first", argument="model")
        canonical = facts[model_id].id
        reg = registration(model_id=canonical, operator=operator, kind=kind, url=url, request_id=request_id)
        await graph.write([reg.observation], run_id=reg.run_id)
        found = await graph.reader.deployments_of([canonical])
    # deployments enter the stored results (hosting rules, chain); the changes then reach the watches
    await crawls.recompute([canonical], batch=reg.run_id)
    for deployment in found.get(canonical, ()):
        if deployment.id == reg.observation.id:
            return deployment
    raise LookupError(f"deployment {reg.observation.id!r} was written but cannot be read back")
