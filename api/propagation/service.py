"""Scope aggregates for dashboards: a root's family, or what a licence or a term reaches; and a scope's conflicts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from api.errors import BadUserInput, translated
from api.licenses.service import find_license
from graph.client import GraphClient
from graph.reads.scope import ScopeMembers
from graph.reads.scope_conflicts import ScopeConflict
from graph.reads.types import PropagationSummary
from terms.propagation.rules import Severity

__all__ = ["Scope", "scope_conflict_pages", "scope_members", "scope_of", "scope_summary"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Exactly one of a root, a licence (canonical id) or a term (a known term id)."""

    root: str | None = None
    license_id: str | None = None
    term_id: str | None = None
    include_fixtures: bool = False  # constructed fixture models are members too


def scope_of(graph: GraphClient, *, root: str | None, license_id: str | None, term_id: str | None) -> Scope | None:
    """The scope named (the licence resolved to its canonical id); None when the licence or term is unknown."""
    if sum(x is not None for x in (root, license_id, term_id)) != 1:
        raise BadUserInput("propagation needs exactly one of root, license or term")
    catalog = graph.reader.catalog
    if license_id is not None:
        found = find_license(catalog, license_id)  # the one licence resolver: any case, any alias
        return None if found is None else Scope(license_id=found.id)
    if term_id is not None:
        return Scope(term_id=term_id) if term_id in catalog.all_terms else None
    return Scope(root=root)


async def scope_summary(
    graph: GraphClient,
    *,
    root: str | None,
    license_id: str | None,
    term_id: str | None,
    as_of: datetime | None,
    include_fixtures: bool = False,
) -> PropagationSummary | None:
    """Aggregates over the scope (constructed fixture models counted only with ``include_fixtures``);
    None when the root, licence or term is unknown."""
    scope = scope_of(graph, root=root, license_id=license_id, term_id=term_id)
    if scope is None:
        return None
    with translated():
        return await graph.reader.propagation_scope(
            root=scope.root, license_id=scope.license_id, term_id=scope.term_id, as_of=as_of,
            include_fixtures=include_fixtures,
        )


async def scope_members(graph: GraphClient, scope: Scope, *, as_of: datetime | None) -> ScopeMembers | None:
    """The scope's members (None: an unknown root)."""
    with translated():
        return await graph.reader.scope_members(
            root=scope.root, license_id=scope.license_id, term_id=scope.term_id, as_of=as_of,
            include_fixtures=scope.include_fixtures,
        )


async def scope_conflict_pages(
    graph: GraphClient,
    members: ScopeMembers,
    *,
    as_of: datetime | None,
    rule: str | None = None,
    severity: Severity | None = None,
) -> AsyncIterator[tuple[ScopeConflict, ...]]:
    """The scope's conflicts, ordered by model id and rule, a page of members at a time."""
    pages = graph.reader.scope_conflict_pages(members, as_of=as_of, rule=rule, severity=severity)
    while True:
        with translated():
            try:
                page = await anext(pages)
            except StopAsyncIteration:
                return
        yield page
