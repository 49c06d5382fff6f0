"""Lineage services behind the resolvers: plain functions over the graph's async reader."""

from __future__ import annotations

from datetime import datetime

from api.errors import BadUserInput, translated
from graph.client import GraphClient
from graph.sha256 import is_sha256
from graph.reads import PathKind
from graph.reads.types import ModelFacts, ModelPage, RootEntry

__all__ = ["file_models", "model_page", "paths_between", "roots"]

MAX_SEARCH = 200


async def model_page(
    graph: GraphClient,
    *,
    search: str | None,
    license_id: str | None,
    author: str | None,
    relation: str | None,
    has_conflict: bool | None,
    first: int,
    after: str | None,
    with_total: bool = True,
) -> ModelPage:
    """One page of models matching the filters, ordered by id, with the total."""
    if search is not None and len(search) > MAX_SEARCH:
        raise BadUserInput(f"search must be at most {MAX_SEARCH} characters", argument="search")
    with translated():
        return await graph.reader.search(
            search=search,
            license_id=license_id,
            author=author,
            relation=relation,
            has_conflict=has_conflict,
            limit=first,
            after=after,
            with_total=with_total,
        )


async def roots(graph: GraphClient, *, first: int) -> tuple[RootEntry, ...]:
    """Models with no parent now, largest families first."""
    with translated():
        return await graph.reader.roots(limit=first)


async def paths_between(
    graph: GraphClient, *, source: str, target: str, as_of: datetime | None
) -> list[list[str]]:
    """Lineage paths between two models (either direction), else through their nearest common ancestors."""
    with translated():
        found = await graph.reader.paths(source, target, as_of=as_of)
    if found is None or found.kind is PathKind.UNRELATED:
        return []
    return [list(p) for p in found.paths]


async def file_models(graph: GraphClient, *, sha256: str, as_of: datetime | None) -> list[ModelFacts]:
    """Models holding a file with this sha256, as facts at ``as_of``."""
    if not is_sha256(sha256):
        raise BadUserInput("sha256 must be 64 hexadecimal characters", argument="sha256")
    with translated():
        matches = await graph.reader.by_file(sha256.strip(), as_of=as_of)
        if not matches:
            return []
        facts = await graph.reader.facts([m.model.id for m in matches], as_of=as_of)
    return [facts[m.model.id] for m in matches if m.model.id in facts]
