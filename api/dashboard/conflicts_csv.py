"""``GET /api/scopes/conflicts.csv``: a scope's conflicts as CSV, one row per conflict (the dashboard's
"Export CSV"; the same rows as GraphQL ``Propagation.conflicts``, from :mod:`graph.reads.scope_conflicts`).

Query: exactly one of ``root``, ``license`` (any case, any alias) or ``term``; optionally ``rule``,
``severity`` (violation, warning, info) and ``asOf`` (ISO 8601 instant or date; default now).
Columns: model_id, rule, severity, message, licenses, path, license_sources. Rows are ordered by
model id then rule and streamed a page of members at a time. At most :data:`MAX_MEMBERS` members are
listed (the first by id); a larger scope says so in the ``X-Truncated`` header (``first N of M
models``). ``X-Scope`` names the scope, ``X-Scope-Models`` its size.

Errors are JSON ``{"error": <code>, "message": <sentence>}`` as the investigation routes answer them:
404 for an unknown root, licence or term (and ``not_yet_known`` for a root not known at ``asOf``),
422 for a bad or future ``asOf``, a bad severity or not exactly one scope.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.propagation import service
from graph.reads.scope import ScopeMembers
from graph.reads.scope_conflicts import ScopeConflict
from reports.dossier import parse_as_of
from reports.errors import answer_for
from terms.propagation.rules import Severity

__all__ = ["COLUMNS", "MAX_MEMBERS", "csv_router"]

MAX_MEMBERS = 20_000
COLUMNS = ("model_id", "rule", "severity", "message", "licenses", "path", "license_sources")

csv_router = APIRouter(tags=["dashboard"])

Text = Annotated[str | None, Query()]


def _error(status: int, code: str, message: str, **details: object) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **details}, status_code=status)


def _cell(value: str) -> str:
    """A cell a spreadsheet will not read as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def _line(values: tuple[str, ...] | list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return out.getvalue()


def _row(c: ScopeConflict) -> list[str]:
    return [c.model_id, c.rule, c.severity.value, c.message, "; ".join(c.licenses), " -> ".join(c.path), " ".join(c.sources)]


def _unknown(root: str | None, license_id: str | None, term: str | None) -> JSONResponse:
    if root is not None:
        return _error(404, "unknown_scope", f"No model {root!r} in the graph: there is no family to list.")
    if license_id is not None:
        return _error(404, "unknown_scope", f"No licence {license_id!r} in the licence knowledge base (ids and aliases, any case).")
    return _error(404, "unknown_scope", f"No term {term!r} in the licence knowledge base.")


@csv_router.get("/api/scopes/conflicts.csv", summary="A scope's conflicts as CSV, one row per conflict")
async def scope_conflicts_csv(
    request: Request,
    root: Text = None,
    license: Text = None,
    term: Text = None,
    rule: Text = None,
    severity: Text = None,
    as_of: Annotated[str | None, Query(alias="asOf", description="ISO 8601 instant or date; default: now.")] = None,
) -> Response:
    named = {k: v for k, v in (("root", root), ("license", license), ("term", term)) if v}
    if len(named) != 1:
        return _error(422, "invalid_scope", "name exactly one of root, license or term, e.g. ?license=apache-2.0")
    wanted: Severity | None = None
    if severity:
        try:
            wanted = Severity(severity.strip().lower())
        except ValueError:
            return _error(422, "invalid_severity", f"severity must be one of violation, warning or info; got {severity[:40]!r}")
    graph = request.app.state.graph
    try:
        instant = parse_as_of(as_of)
        scope = service.scope_of(graph, root=root or None, license_id=license or None, term_id=term or None)
        members = None if scope is None else await graph.reader.scope_members(
            root=scope.root, license_id=scope.license_id, term_id=scope.term_id, as_of=instant
        )
    except Exception as exc:
        answer = answer_for(exc)
        if answer is None or not answer.public:
            raise
        return _error(answer.http_status, answer.code, answer.message(exc), **answer.details(exc))
    if members is None:
        return _unknown(root or None, license or None, term or None)
    listed = members
    headers = {"X-Scope": members.scope, "X-Scope-Models": str(len(members.members)), "Cache-Control": "no-cache",
               "Content-Disposition": f'attachment; filename="{_filename(members.scope)}"'}
    if len(members.members) > MAX_MEMBERS:
        kept = sorted(m.id for m in members.members)[:MAX_MEMBERS]
        keep = set(kept)
        listed = ScopeMembers(members.scope, members.sources, tuple(m for m in members.members if m.id in keep))
        headers["X-Truncated"] = f"first {MAX_MEMBERS} of {len(members.members)} models (by id)"

    async def body() -> AsyncIterator[str]:
        yield _line(COLUMNS)
        async for rows in service.scope_conflict_pages(graph, listed, as_of=instant, rule=rule or None, severity=wanted):
            for c in rows:
                yield _line(_row(c))

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=headers)


def _filename(scope: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in scope)
    return f"conflicts-{safe}.csv"
