"""REST routes of investigations and exports (mount with ``app.include_router(router)``).

* ``GET /investigations/by-file/{sha256}?asOf=…&format=md|json|html`` — the dossier of the
  model holding a weight file;
* ``GET /investigations/{model_id}?asOf=…&format=md|json|html`` — the dossier of a model (id or
  old id; the dashboard links ``investigations/<org>/<name>?format=html[&asOf=…]``);
* ``GET /aibom/{model_id}?asOf=…`` — its CycloneDX 1.6 ML-BOM.

Errors are JSON ``{"error": <code>, "message": <sentence>}``: 404 for an unknown model or file,
404 ``not_yet_known`` for a model the graph holds but knows nothing of at ``asOf`` (with the fields
``knownSince``, ``asOf`` and ``modelId``), 422 for an unparsable or future ``asOf``, an unknown
format or a malformed sha256, 503/504 when the graph is unavailable or too slow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import structlog

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from reports.aibom import MEDIA_TYPE as AIBOM_MEDIA_TYPE
from reports.aibom import aibom_json
from reports.html import CSP
from reports.render import MEDIA_TYPES, Format, render
from terms import deadline
from graph.reads.compute_thread import off_loop
from reports.errors import answer_for
from reports.dossier import Dossier, parse_as_of, plan_dossier
from graph.reads import Plan

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter(tags=["investigations"])

AsOf = Annotated[str | None, Query(alias="asOf", description="ISO 8601 instant or date; default: now.")]
Fmt = Annotated[str, Query(alias="format", description="md, json or html.")]


def _error(status: int, code: str, message: str, **details: object) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **details}, status_code=status)


async def _dossier(request: Request, make: Callable[[], Plan[Dossier]]) -> Dossier | JSONResponse:
    """Run a dossier plan over the app's graph reader within the query timeout (its engine pass and
    assembly run in worker threads and stop at the deadline); domain errors become JSON error responses
    as :data:`reports.errors.ANSWERS` says."""
    timeout_s = request.app.state.settings.query_timeout_s
    try:
        plan = make()
        with deadline.within(timeout_s):
            async with asyncio.timeout(timeout_s):
                return await request.app.state.graph.reader.run(plan)  # type: ignore[no-any-return]
    except Exception as exc:
        answer = answer_for(exc)
        if answer is None or not answer.public:
            raise
        return _error(answer.http_status, answer.code, answer.message(exc), **answer.details(exc))


def _format(value: str) -> Format | JSONResponse:
    try:
        return Format(value.lower())
    except ValueError:
        return _error(422, "invalid_format", f"format must be one of md, json or html; got {value[:40]!r}")


async def _deepen(request: Request, dossier: Dossier) -> dict[str, str]:
    """Ask for a deep crawl of the models on the chain known only from a listing (headers saying so).

    The dossier states what it rests on (``known_from``); the crawl adds files, card text and configs
    for the next time it is asked. A job store that does not answer costs the answer nothing.
    """
    listed = [m.id for m in dossier.models if m.known_from == "listed"]
    if not listed:
        return {}
    try:
        async with asyncio.timeout(2.0):
            job_id = await request.app.state.crawls.deepen(listed)
    except Exception as exc:  # noqa: BLE001 - the dossier is answered whatever the job store does
        log.warning("investigation.deepen_failed", models=len(listed), error=repr(exc))
        return {}
    return {} if job_id is None else {"X-Deep-Crawl-Job": str(job_id)}


async def _respond(request: Request, dossier: Dossier, fmt: Format) -> Response:
    body = await off_loop(render, dossier, fmt)  # rendering scales with the lineage: off the event loop
    headers = {"X-Content-Hash": dossier.content_hash, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "no-cache", **await _deepen(request, dossier)}
    if fmt is Format.HTML:
        headers["Content-Security-Policy"] = CSP
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


async def _investigate(request: Request, fmt_value: str, plan: Callable[[], Plan[Dossier]]) -> Response:
    fmt = _format(fmt_value)
    if isinstance(fmt, JSONResponse):
        return fmt
    found = await _dossier(request, plan)
    return found if isinstance(found, JSONResponse) else await _respond(request, found, fmt)


def _planner(*, model_id: str | None = None, sha256: str | None = None,
             as_of: str | None = None) -> Callable[[], Plan[Dossier]]:
    def make() -> Plan[Dossier]:
        return plan_dossier(model_id, sha256=sha256, as_of=parse_as_of(as_of))

    return make


@router.get("/investigations/by-file/{sha256}", summary="Dossier of the model holding a weight file")
async def investigation_by_file(request: Request, sha256: str, as_of: AsOf = None, fmt: Fmt = "json") -> Response:
    """The dossier of the (earliest observed) model holding the file with this sha256."""
    return await _investigate(request, fmt, _planner(sha256=sha256, as_of=as_of))


@router.get("/investigations/{model_id:path}", summary="Investigation dossier of a model")
async def investigation(request: Request, model_id: str, as_of: AsOf = None, fmt: Fmt = "json") -> Response:
    """Parties and roles back to the original provider, licences in force at ``asOf``, terms, conflicts,
    deployments reached, unknowns and the evidence of every fact, with a content hash."""
    return await _investigate(request, fmt, _planner(model_id=model_id, as_of=as_of))


@router.get("/aibom/{model_id:path}", summary="CycloneDX 1.6 ML-BOM of a model")
async def aibom(request: Request, model_id: str, as_of: AsOf = None) -> Response:
    """The model as a machine-learning-model component with its licences and its lineage as pedigree.ancestors."""
    found = await _dossier(request, _planner(model_id=model_id, as_of=as_of))
    if isinstance(found, JSONResponse):
        return found
    body = await off_loop(aibom_json, found)
    return Response(body, media_type=AIBOM_MEDIA_TYPE,
                    headers={"X-Content-Hash": found.content_hash, "Cache-Control": "no-cache"})

