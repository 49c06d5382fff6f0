"""Scope aggregates for dashboards: a root's family, or what a licence or a term reaches."""

from __future__ import annotations

from datetime import datetime

from api.errors import BadUserInput, translated
from api.licenses.service import find_license
from graph.client import GraphClient
from graph.reads.types import PropagationSummary

__all__ = ["scope_summary"]


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
    if sum(x is not None for x in (root, license_id, term_id)) != 1:
        raise BadUserInput("propagation needs exactly one of root, license or term")
    catalog = graph.reader.catalog
    if license_id is not None:
        found = find_license(catalog, license_id)
        if found is None:
            return None
        license_id = found.id
    if term_id is not None and term_id not in catalog.all_terms:
        return None
    with translated():
        return await graph.reader.propagation_scope(
            root=root, license_id=license_id, term_id=term_id, as_of=as_of, include_fixtures=include_fixtures
        )
