"""Lineage services behind the resolvers: plain functions over the graph's async reader."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from api.errors import BadUserInput, UnknownId, translated
from api.lineage.paths import ModelPaths, model_paths, same_model
from api.licenses.service import license_argument
from graph.client import GraphClient
from graph.reads import PathKind
from graph.reads.search import ModelFilters, SortKey
from graph.reads.types import ModelFacts, ModelPage, PageKey, PathsBetween, RootPage
from graph.sha256 import is_sha256
from terms.propagation.rules import RULES

__all__ = ["file_models", "model_page", "paths_between", "roots"]


async def model_page(
    graph: GraphClient,
    filters: ModelFilters,
    *,
    sort: SortKey,
    descending: bool | None,
    first: int,
    after: PageKey | None,
    with_total: bool = True,
) -> ModelPage:
    """One page of models matching the filters, in the order asked, with the total when asked.

    The licence is resolved like every licence argument (any case, any alias); an unknown licence or
    rule is NOT_FOUND rather than an empty page, so a typo is not mistaken for "none".
    """
    if filters.license_id is not None:
        canonical = license_argument(graph.reader.catalog, filters.license_id)
        filters = replace(filters, license_id=canonical)
    if filters.rule is not None:
        rule = filters.rule.strip().upper()
        if rule not in RULES:
            raise UnknownId(
                f"rule {filters.rule!r} is not a rule Lineage checks; rules are {', '.join(sorted(RULES))}",
                argument="rule",
                id=filters.rule,
            )
        filters = replace(filters, rule=rule)
    with translated():
        return await graph.reader.search(
            filters, sort=sort, descending=descending, limit=first, after=after, with_total=with_total
        )


async def roots(graph: GraphClient, *, first: int, after: PageKey | None, with_total: bool) -> RootPage:
    """Models with no parent now, largest families first, a page at a time."""
    with translated():
        return await graph.reader.roots(limit=first, after=after, with_total=with_total)


async def paths_between(graph: GraphClient, *, source: str, target: str, as_of: datetime | None) -> ModelPaths:
    """How ``target`` is related to ``source``, every path ordered source → target; NOT_FOUND naming the
    argument when either model is unknown, the trivial path when both name the same model."""
    with translated():
        known = await graph.reader.facts([source, target])
    for argument, model_id in (("from", source), ("to", target)):
        if model_id not in known:
            raise UnknownId(f"{argument}: no model {model_id!r} is known", argument=argument, id=model_id)
    if as_of is not None:
        for model_id in (source, target):
            with translated():
                await graph.reader.check_known(model_id, as_of)  # NOT_KNOWN_AT_INSTANT
    source_id, target_id = known[source].id, known[target].id
    if source_id == target_id:
        return same_model(source_id)
    with translated():
        found = await graph.reader.paths(source_id, target_id, as_of=as_of)
    if found is None:
        found = PathsBetween(source_id, target_id, as_of, PathKind.UNRELATED, (), (), ())
    return model_paths(found)


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
