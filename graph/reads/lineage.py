"""Lineage reads: ancestors, descendants (paged), paths between two models, family sizes.

All take ``as_of`` (None = now). Current reads of descendants and families use the
HAS_ANCESTOR index; ``as_of`` reads walk the DERIVED_FROM versions valid at that instant.
Each read is a plan (``plan_*``, see :mod:`graph.reads.plan`) run by the sync function
of the same name here, and by :class:`graph.reads.reader.GraphReader` over the async driver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from neo4j import Driver

from crawler.observations import Relation
from graph.ancestry import ancestry_key
from graph.errors import InvalidArgument, ModelNotFound
from graph.reads import plan as c
from graph.reads.convert import edge, model_ref, relation
from graph.reads.paths import depths, parents_map, paths_to_roots, paths_up_to
from graph.reads.scope import counted_prefixes
from graph.reads.types import (
    AncestorNode,
    Ancestry,
    Descendant,
    DescendantsPage,
    FamilyStats,
    LineageEdge,
    ModelRef,
    PathKind,
    PathsBetween,
)
from graph.statements import reads as q
from graph.statements.lineage import KEY_SEP

__all__ = [
    "ancestors",
    "descendants",
    "family",
    "paths_between",
    "plan_ancestors",
    "plan_descendants",
    "plan_family",
    "plan_paths_between",
]


def ancestors(
    driver: Driver,
    model_id: str,
    *,
    as_of: datetime | None = None,
    max_depth: int = 16,
    max_paths: int = 1000,
    database: str | None = None,
) -> Ancestry:
    """Ancestors of a model to the roots, with every simple path, the edges and their evidence."""
    return c.run(driver, plan_ancestors(model_id, as_of=as_of, max_depth=max_depth, max_paths=max_paths), database)


def plan_ancestors(
    model_id: str, *, as_of: datetime | None = None, max_depth: int = 16, max_paths: int = 1000
) -> c.Plan[Ancestry]:
    """The plan of :func:`ancestors`."""
    c.check_depth(max_depth)
    as_of = c.norm_as_of(as_of)
    # one level more than asked, to know whether the bound cut anything off
    model, edges, nodes = yield from _fetch_up(model_id, as_of, max_depth + 1)
    parents = parents_map((e.child, e.parent) for e in edges)
    dist = depths(model.id, parents, max_depth)
    paths, truncated = paths_to_roots(model.id, parents, max_depth, max_paths)
    roots = sorted(n for n in dist if not parents.get(n))
    inside = set(dist) | {model.id}
    kept = [e for e in edges if e.child in inside and e.parent in inside]
    return Ancestry(
        model=model,
        as_of=as_of,
        ancestors=tuple(AncestorNode(nodes[n], d) for n, d in sorted(dist.items(), key=lambda kv: (kv[1], kv[0]))),
        edges=tuple(sorted(kept, key=lambda e: (e.child, e.parent))),
        paths=tuple(paths),
        roots=tuple(roots),
        truncated=truncated,
    )


def _fetch_up(
    model_id: str, as_of: datetime | None, max_depth: int
) -> c.Plan[tuple[ModelRef, list[LineageEdge], dict[str, ModelRef]]]:
    rows = yield c.Query(q.ancestors_statement(max_depth, as_of is not None), {"id": model_id, "as_of": as_of})
    if not rows:
        raise ModelNotFound(model_id)
    model = model_ref(rows[0]["model"], as_of)
    edges = [edge(e["child"], e["parent"], e["props"]) for e in rows[0]["edges"]]
    nodes = {model.id: model}
    for e in rows[0]["edges"]:
        nodes.setdefault(e["parent"], model_ref(e["node"], as_of))
    return model, edges, nodes


def descendants(
    driver: Driver,
    model_id: str,
    *,
    as_of: datetime | None = None,
    relations: Iterable[Relation | str] | None = None,
    max_depth: int = c.MAX_DEPTH,
    limit: int = 100,
    cursor: str | None = None,
    database: str | None = None,
) -> DescendantsPage:
    """One page of descendants ordered by (depth, id), with the total matching the filters."""
    plan = plan_descendants(
        model_id, as_of=as_of, relations=relations, max_depth=max_depth, limit=limit, cursor=cursor
    )
    return c.run(driver, plan, database)


def plan_descendants(
    model_id: str,
    *,
    as_of: datetime | None = None,
    relations: Iterable[Relation | str] | None = None,
    max_depth: int = c.MAX_DEPTH,
    limit: int = 100,
    cursor: str | None = None,
) -> c.Plan[DescendantsPage]:
    """The plan of :func:`descendants`."""
    c.check_depth(max_depth)
    c.check_limit(limit)
    rels = c.check_relations(relations)
    as_of = c.norm_as_of(as_of)
    if as_of is not None:
        return (yield from _descendants_walk(model_id, as_of, rels, max_depth, limit, cursor))
    wide = max_depth >= c.MAX_DEPTH
    hi_suffix = chr(ord(KEY_SEP) + 1) if wide else f"{KEY_SEP}{max_depth + 1:03d}{KEY_SEP}"
    after = None if cursor is None else c.decode_cursor(cursor, "")
    params: dict[str, Any] = {
        "id": model_id, "sep": KEY_SEP, "after": after, "hi_suffix": hi_suffix, "relations": rels, "limit": limit + 1,
    }
    rows = yield c.Query(q.DESCENDANTS_INDEX_PAGE, params)  # page and unfiltered total in one round trip
    if not rows:
        raise ModelNotFound(model_id)
    root = str(rows[0]["root"])
    prefix = root + KEY_SEP
    if after is not None and not after.startswith(prefix):
        raise InvalidArgument("cursor belongs to another query")
    if rels is None and wide:
        total = int(rows[0]["degree"])
    else:
        bounds = {"lo": prefix, "hi": root + hi_suffix, "relations": rels}
        counted = yield c.Query(q.DESCENDANTS_INDEX_TOTAL_FILTERED, bounds)
        total = int(counted[0]["total"])
    found = rows[0]["items"]
    items = tuple(Descendant(model_ref(r["model"], None), int(r["depth"]), relation(r["relation"])) for r in found[:limit])
    next_cursor = c.encode_cursor(str(found[limit - 1]["key"])) if len(found) > limit else None
    return DescendantsPage(root=root, as_of=None, items=items, total=total, next_cursor=next_cursor)


def _descendants_walk(
    model_id: str,
    as_of: datetime,
    rels: list[str] | None,
    max_depth: int,
    limit: int,
    cursor: str | None,
) -> c.Plan[DescendantsPage]:
    rows, root = yield from _walk_down(model_id, as_of, max_depth)
    found = sorted(
        (ancestry_key(root, int(r["depth"]), str(r["id"])), r)
        for r in rows
        if rels is None or r["relation"] in rels
    )
    prefix = root + KEY_SEP
    after = None if cursor is None else c.decode_cursor(cursor, prefix)
    remaining = [(k, r) for k, r in found if after is None or k > after]
    page = remaining[:limit]
    refs = yield from _models([str(r["id"]) for _, r in page], as_of)
    items = tuple(Descendant(refs[str(r["id"])], int(r["depth"]), relation(r["relation"])) for _, r in page)
    next_cursor = c.encode_cursor(page[-1][0]) if len(remaining) > limit else None
    return DescendantsPage(root=root, as_of=as_of, items=items, total=len(found), next_cursor=next_cursor)


def _walk_down(
    model_id: str, as_of: datetime | None, max_depth: int, skip_prefixes: Sequence[str] = ()
) -> c.Plan[tuple[list[Any], str]]:
    statement = q.descendants_walk_statement(max_depth, as_of is not None, bool(skip_prefixes))
    rows = yield c.Query(statement, {"id": model_id, "as_of": as_of, "fixture_prefixes": list(skip_prefixes)})
    if rows:
        return rows, str(rows[0]["root"])
    head = yield c.Query(q.MODEL_NODE, {"id": model_id})
    if not head:
        raise ModelNotFound(model_id)
    return [], str(head[0]["model"]["id"])


def _models(ids: list[str], as_of: datetime | None) -> c.Plan[dict[str, ModelRef]]:
    if not ids:
        return {}
    rows = yield c.Query(q.MODELS_BY_ID, {"ids": ids})
    return {str(r["model"]["id"]): model_ref(r["model"], as_of) for r in rows}


def paths_between(
    driver: Driver,
    source_id: str,
    target_id: str,
    *,
    as_of: datetime | None = None,
    max_depth: int = 16,
    max_paths: int = 100,
    database: str | None = None,
) -> PathsBetween:
    """Directed lineage paths between two models either way; else paths to their nearest common ancestors."""
    plan = plan_paths_between(source_id, target_id, as_of=as_of, max_depth=max_depth, max_paths=max_paths)
    return c.run(driver, plan, database)


def plan_paths_between(
    source_id: str, target_id: str, *, as_of: datetime | None = None, max_depth: int = 16, max_paths: int = 100
) -> c.Plan[PathsBetween]:
    """The plan of :func:`paths_between`."""
    c.check_depth(max_depth)
    as_of = c.norm_as_of(as_of)
    src, src_edges, _ = yield from _fetch_up(source_id, as_of, max_depth)
    dst, dst_edges, _ = yield from _fetch_up(target_id, as_of, max_depth)
    edges = {(e.child, e.parent): e for e in [*src_edges, *dst_edges]}
    parents = parents_map(edges)
    for kind, a, b in (
        (PathKind.SOURCE_DESCENDS_FROM_TARGET, src.id, dst.id),
        (PathKind.TARGET_DESCENDS_FROM_SOURCE, dst.id, src.id),
    ):
        found = paths_up_to(a, b, parents, max_depth, max_paths)
        if found:
            used = _edges_on(found, edges)
            return PathsBetween(src.id, dst.id, as_of, kind, tuple(found), (), used)
    up_src = depths(src.id, parents, max_depth)
    up_dst = depths(dst.id, parents, max_depth)
    common = set(up_src) & set(up_dst)
    if not common:
        return PathsBetween(src.id, dst.id, as_of, PathKind.UNRELATED, (), (), ())
    best = min(up_src[n] + up_dst[n] for n in common)
    nearest = sorted(n for n in common if up_src[n] + up_dst[n] == best)
    paths: list[tuple[str, ...]] = []
    for anc in nearest:
        for left in paths_up_to(src.id, anc, parents, up_src[anc], max_paths):
            for right in paths_up_to(dst.id, anc, parents, up_dst[anc], max_paths):
                if len(paths) < max_paths:
                    paths.append((*left, *reversed(right[:-1])))
    used = _edges_on([p for p in paths], edges, common_ancestors=True)
    return PathsBetween(src.id, dst.id, as_of, PathKind.COMMON_ANCESTOR, tuple(paths), tuple(nearest), used)


def _edges_on(
    paths: list[tuple[str, ...]], edges: dict[tuple[str, str], LineageEdge], common_ancestors: bool = False
) -> tuple[LineageEdge, ...]:
    used: dict[tuple[str, str], LineageEdge] = {}
    for path in paths:
        for a, b in zip(path, path[1:], strict=False):
            for key in ((a, b), (b, a)) if common_ancestors else ((a, b),):
                if key in edges:
                    used[key] = edges[key]
    return tuple(used[k] for k in sorted(used))


def family(
    driver: Driver,
    root_id: str,
    *,
    as_of: datetime | None = None,
    max_depth: int = c.MAX_DEPTH,
    fixture_prefixes: Sequence[str] | None = None,
    database: str | None = None,
) -> FamilyStats:
    """Sizes of a model's family (its descendants) by depth and by relation, fixture models not counted
    (``fixture_prefixes``: see :func:`graph.reads.scope.counted_prefixes`)."""
    plan = plan_family(root_id, as_of=as_of, max_depth=max_depth, fixture_prefixes=fixture_prefixes)
    return c.run(driver, plan, database)


def plan_family(
    root_id: str,
    *,
    as_of: datetime | None = None,
    max_depth: int = c.MAX_DEPTH,
    fixture_prefixes: Sequence[str] | None = None,
) -> c.Plan[FamilyStats]:
    """The plan of :func:`family`."""
    c.check_depth(max_depth)
    as_of = c.norm_as_of(as_of)
    skip = counted_prefixes(root_id, fixture_prefixes=fixture_prefixes)
    cells: Counter[tuple[int, Relation]] = Counter()
    if as_of is None:
        rows = yield c.Query(q.FAMILY_INDEX, {"id": root_id, "max_depth": max_depth, "fixture_prefixes": list(skip)})
        if not rows:
            raise ModelNotFound(root_id)
        root = str(rows[0]["root"])
        for r in rows:
            if r["depth"] is not None:
                cells[(int(r["depth"]), relation(r["relation"]))] += int(r["n"])
    else:
        walked, root = yield from _walk_down(root_id, as_of, max_depth, skip)
        for r in walked:
            cells[(int(r["depth"]), relation(r["relation"]))] += 1
    by_depth: Counter[int] = Counter()
    by_relation: Counter[Relation] = Counter()
    for (d, rel), n in cells.items():
        by_depth[d] += n
        by_relation[rel] += n
    return FamilyStats(
        root=root,
        as_of=as_of,
        total=sum(cells.values()),
        by_depth=tuple(sorted(by_depth.items())),
        by_relation=tuple(sorted(by_relation.items())),
        by_depth_relation=tuple(sorted((d, rel, n) for (d, rel), n in cells.items())),
    )
