"""Who a propagation question is about: a root's family, or everything a licence or term reaches.

:func:`plan_scope_members` answers the members of a scope with their depth (0 for the sources:
the root, or the models declaring the licence) and how each descendant was derived, now (from
the ancestry index) or at ``as_of`` (walking the DERIVED_FROM versions valid then).

Scopes are for statistics: constructed fixture models (ids under ``fixture_prefixes``; by default the
configured ones, :class:`graph.settings.GraphSettings`) are no members, neither sources nor descendants.
Pass ``fixture_prefixes=()`` to count them; :func:`counted_prefixes` says what a question leaves out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crawler.observations import Relation
from graph.errors import InvalidArgument
from graph.reads import plan as c
from graph.reads.convert import conflict_state, model_status
from graph.reads.convert import relation as as_relation
from graph.reads.types import FamilyEdge, FamilyNode
from graph.settings import configured_fixture_prefixes
from graph.statements import reads as q
from graph.statements.lineage import KEY_SEP
from terms.propagation.rules import ConflictState

__all__ = ["Member", "ScopeMembers", "counted_prefixes", "plan_family_drawing", "plan_scope_members"]

_WALK_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    depth: int
    relation: Relation | None  # how it derives towards the sources (None for a source)


@dataclass(frozen=True, slots=True)
class ScopeMembers:
    scope: str  # "root:<id>" | "license:<id>" | "term:<id>"
    sources: tuple[str, ...]
    members: tuple[Member, ...]  # sources first, then by depth and id


def counted_prefixes(
    root: str | None = None, *, include_fixtures: bool = False, fixture_prefixes: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The fixture prefixes a statistic leaves out: none when fixtures are asked for, by ``include_fixtures``
    or by naming a fixture root (its scope is what was asked for); else ``fixture_prefixes`` (default: configured)."""
    prefixes = tuple(configured_fixture_prefixes() if fixture_prefixes is None else fixture_prefixes)
    if include_fixtures or (root is not None and root.startswith(prefixes)):
        return ()
    return prefixes


def plan_scope_members(
    *,
    root: str | None = None,
    licenses: Sequence[str] | None = None,
    scope: str,
    as_of: datetime | None = None,
    fixture_prefixes: Sequence[str] | None = None,
) -> c.Plan[ScopeMembers | None]:
    """Members of a root's family (None when the root is unknown) or of the models declaring ``licenses``;
    fixture models left out (``fixture_prefixes``: by default those of :func:`counted_prefixes`)."""
    as_of = c.norm_as_of(as_of)
    if (root is None) == (licenses is None):
        raise InvalidArgument("name exactly one of a root or licences")
    skip = list(counted_prefixes(root, fixture_prefixes=fixture_prefixes))
    found: dict[str, Member] = {}
    if root is not None:
        if as_of is None:
            rows = yield c.Query(q.FAMILY_MEMBERS, {"id": root, "fixture_prefixes": skip})
            if not rows:
                return None
            root_id = str(rows[0]["root"])
            for x, depth, relation in rows[0]["rows"]:
                found[str(x)] = Member(str(x), int(depth), None if relation is None else as_relation(relation))
        else:
            walked = yield c.Query(
                q.descendants_walk_statement(_WALK_DEPTH, True, True), {"id": root, "as_of": as_of, "fixture_prefixes": skip}
            )
            if walked:
                root_id = str(walked[0]["root"])
            else:
                head = yield c.Query(q.MODEL_NODE, {"id": root})
                if not head:
                    return None
                root_id = str(head[0]["model"]["id"])
            for r in walked:
                found[str(r["id"])] = Member(str(r["id"]), int(r["depth"]), as_relation(r["relation"]))
        found.pop(root_id, None)
        sources: tuple[str, ...] = (root_id,)
    else:
        rows = yield c.Query(
            q.LICENSE_SOURCES[as_of is not None], {"licenses": list(licenses or ()), "as_of": as_of, "fixture_prefixes": skip}
        )
        sources = tuple(sorted(str(r["id"]) for r in rows))
        if sources:
            if as_of is None:
                below = yield c.Query(q.LICENSE_MEMBERS, {"ids": list(sources), "fixture_prefixes": skip})
                for r in below:
                    found[str(r["id"])] = Member(str(r["id"]), int(r["depth"]), None)
            else:
                for source in sources:
                    walked = yield c.Query(
                        q.descendants_walk_statement(_WALK_DEPTH, True, True),
                        {"id": source, "as_of": as_of, "fixture_prefixes": skip},
                    )
                    for r in walked:
                        member = Member(str(r["id"]), int(r["depth"]), as_relation(r["relation"]))
                        if member.id not in found or member.depth < found[member.id].depth:
                            found[member.id] = member
        for source in sources:
            found.pop(source, None)
    members = [Member(s, 0, None) for s in sources]
    members.extend(sorted(found.values(), key=lambda m: (m.depth, m.id)))
    return ScopeMembers(scope, sources, tuple(members))


def plan_family_drawing(
    root: str, limit: int, *, fixture_prefixes: Sequence[str] | None = None
) -> c.Plan[tuple[tuple[FamilyNode, ...], tuple[FamilyEdge, ...], int]]:
    """The first ``limit`` members of a root's family (nearest first) with the edges among them, and the total
    (fixture models left out as by :func:`counted_prefixes`)."""
    skip = list(counted_prefixes(root, fixture_prefixes=fixture_prefixes))
    params = {"id": root, "sep": KEY_SEP, "hi": chr(ord(KEY_SEP) + 1), "limit": max(limit - 1, 0), "fixture_prefixes": skip}
    rows = yield c.Query(q.FAMILY_DRAW, params)
    if not rows:
        return (), (), 0
    members = [rows[0]["root"], *rows[0]["rows"]][:limit]
    nodes = tuple(
        FamilyNode(str(m[0]), int(m[1]), m[2], conflict_state(m[4]) or ConflictState.NONE, model_status(m[3]))
        for m in members
    )
    ids = [n.id for n in nodes]
    found = yield c.Query(q.EDGES_AMONG, {"ids": ids})
    edges = tuple(
        FamilyEdge(str(r["child"]), str(r["parent"]), as_relation(r["relation"]))
        for r in sorted(found, key=lambda r: (str(r["child"]), str(r["parent"])))
    )
    return nodes, edges, int(rows[0]["total"])
