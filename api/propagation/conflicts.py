"""``Propagation.conflicts``: a scope's conflicts one per row, paged like ``models`` (api.pagination).

The rows are those of the CSV export (``GET /api/scopes/conflicts.csv``): both come from
:mod:`graph.reads.scope_conflicts` over the scope's members, ordered by model id then rule.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.enums import Severity
from api.errors import BadUserInput
from api.pagination import PageInfo, check_first, decode_cursor, encode_cursor
from api.propagation import service
from graph.client import GraphClient
from graph.reads.scope_conflicts import ScopeConflict as ServiceConflict

__all__ = ["CURSOR_KIND", "ScopeConflict", "ScopeConflictConnection", "scope_from_text", "scope_conflicts"]

CURSOR_KIND = "scopeConflicts"
_SEP = "\x1f"


@strawberry.type(description="One conflict of one model of a scope.")
class ScopeConflict:
    model_id: strawberry.ID
    rule_id: str
    severity: Severity
    message: str
    licenses: list[str] = strawberry.field(description="The licences the rule names, else those declared along the path.")
    path: list[str] = strawberry.field(description="Model ids, from the model towards the cause.")
    sources: list[str] = strawberry.field(description="Where the licences involved are published (the licence knowledge base).")
    cursor: str

    @classmethod
    def from_internal(cls, c: ServiceConflict) -> ScopeConflict:
        return cls(
            model_id=strawberry.ID(c.model_id),
            rule_id=c.rule,
            severity=c.severity,
            message=c.message,
            licenses=list(c.licenses),
            path=list(c.path),
            sources=list(c.sources),
            cursor=encode_cursor(CURSOR_KIND, f"{c.model_id}{_SEP}{c.ordinal}"),
        )


@strawberry.type(description="A page of a scope's conflicts; `totalCount` counts every one (of `rule` and `severity` when named).")
class ScopeConflictConnection:
    total_count: int
    models: int = strawberry.field(description="Models of the scope with at least one of these conflicts.")
    edges: list[ScopeConflict]
    page_info: PageInfo


def scope_from_text(scope: str, *, include_fixtures: bool = False) -> service.Scope:
    """The scope of a ``Propagation.scope`` text (``root:<id>``, ``license:<id>``, ``term:<id>``)."""
    kind, _, ident = scope.partition(":")
    if kind == "root":
        return service.Scope(root=ident, include_fixtures=include_fixtures)
    if kind == "license":
        return service.Scope(license_id=ident, include_fixtures=include_fixtures)
    return service.Scope(term_id=ident, include_fixtures=include_fixtures)


def _position(after: str | None) -> tuple[str, int] | None:
    value = decode_cursor(CURSOR_KIND, after)
    if value is None:
        return None
    model_id, _, ordinal = value.rpartition(_SEP)
    if not model_id or not ordinal.isdigit():
        raise BadUserInput("after is not a cursor this API produced", argument="after")
    return model_id, int(ordinal)


async def scope_conflicts(
    graph: GraphClient,
    scope: service.Scope,
    *,
    as_of: datetime | None,
    rule: str | None,
    severity: Severity | None,
    first: int,
    after: str | None,
) -> ScopeConflictConnection:
    check_first(first)
    start = _position(after)
    members = await service.scope_members(graph, scope, as_of=as_of)
    total = 0
    models: set[str] = set()
    page: list[ServiceConflict] = []
    more = False
    if members is not None:
        async for rows in service.scope_conflict_pages(graph, members, as_of=as_of, rule=rule, severity=severity):
            total += len(rows)
            for row in rows:
                models.add(row.model_id)
                if start is not None and (row.model_id, row.ordinal) <= start:
                    continue
                if len(page) < first:
                    page.append(row)
                else:
                    more = True
    edges = [ScopeConflict.from_internal(c) for c in page]
    return ScopeConflictConnection(
        total_count=total,
        models=len(models),
        edges=edges,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
    )
