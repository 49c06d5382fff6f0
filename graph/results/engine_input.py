"""The engine's input read from the graph: a :class:`LineageView` of models and all their ancestors.

Two walks, each one batched ``UNWIND $ids`` statement per level of DERIVED_FROM (so a family
of 100,000 models six levels deep is read in about a dozen round trips, whatever its size):

* :func:`plan_descendants` — the models below a set of models (cycle-safe, depth-bounded);
* :func:`plan_lineage_view` — the facts of a set of models and of every ancestor, upwards
  until no new parent appears: status, name, tags, the licence declaration, the parent
  edges, the publisher and the deployments, each as it was *now* (open versions) or at
  ``as_of`` (the versions of DECLARES, DERIVED_FROM and PUBLISHED valid at that instant, the
  status in force then, the deployments first seen by then).

Which models enter the view (the same rules as the API's on-the-fly reads):

* a model known only as someone's parent (status ``unknown``), one that could not be read
  (``unavailable``), or one not yet seen at ``as_of`` is left out, so the engine reports it
  as a gap (rule G06) instead of treating it as "declares no licence";
* a model whose hub record is a reference stub (``license_recorded`` false: no tags, no card
  data) enters the view with ``license_recorded=False``: its licence is "not recorded" (G09),
  not "none" (G07);
* a licence declaration is given to the engine as resolved when it was written (the stored
  ``License`` id); an unrecognised one (``License {id: 'unknown'}``) keeps the value the hub
  stated on that version, so the gap message names it.

Both are *plans* (generators of queries, see :mod:`graph.reads.plan`): the sync
functions here drive them over a sync driver; async services can drive the same plans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver

from crawler.observations import ModelStatus
from graph.history import to_utc, value_at
from graph.reads.convert import deployment_kind, model_status
from graph.reads.convert import relation as as_relation
from terms.licenses import UNKNOWN_ID, recorded_resolution
from terms.propagation.model import (
    DeploymentRef,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    Party,
)
from graph.reads import plan as c
from graph.statements import propagation as q

__all__ = [
    "LEFT_OUT_STATUSES",
    "MAX_WALK_DEPTH",
    "LoadedView",
    "load_descendants",
    "load_lineage_view",
    "plan_descendants",
    "plan_lineage_view",
]

MAX_WALK_DEPTH = 64
"""Levels walked at most in either direction (lineage on the Hub is rarely deeper than 10)."""

CHUNK = 20_000
"""Ids per statement: larger levels are read in several statements."""

LEFT_OUT_STATUSES = frozenset({ModelStatus.UNKNOWN, ModelStatus.UNAVAILABLE})

@dataclass(frozen=True, slots=True)
class LoadedView:
    """A lineage view and what the walk saw while building it."""

    view: LineageView
    as_of: datetime | None
    read: frozenset[str]  # every model id read from the graph (also those left out of the view)
    left_out: frozenset[str]  # read but not in the view: not crawled, unavailable, not yet seen at as_of
    missing: frozenset[str]  # asked or named as a parent, but no such node
    below: frozenset[str]  # descendants of the asked models, when asked for (asked models may be left out)
    round_trips: int


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def plan_descendants(
    ids: Iterable[str], *, as_of: datetime | None = None, max_depth: int = MAX_WALK_DEPTH
) -> c.Plan[set[str]]:
    """Every model below ``ids`` through edges valid now / at ``as_of`` (``ids`` themselves excluded
    unless a cycle leads back to them)."""
    as_of = c.norm_as_of(as_of)
    statement = q.CHILDREN_LEVEL[as_of is not None]
    frontier = sorted(set(ids))
    seen: set[str] = set(frontier)
    found: set[str] = set()
    for _ in range(max_depth):
        if not frontier:
            break
        nxt: set[str] = set()
        for chunk in _chunks(frontier):
            rows = yield c.Query(statement, {"ids": chunk, "as_of": as_of})
            for r in rows:
                child = str(r["id"])
                found.add(child)
                if child not in seen:
                    seen.add(child)
                    nxt.add(child)
        frontier = sorted(nxt)
    return found


_ID, _STATUS, _STATUS_HISTORY, _STATUS_FROM, _FIRST_SEEN, _NAME, _PIPELINE, _TAGS, _FLOPS = range(9)
_DECLARATIONS, _PUBLISHERS, _PARENTS, _DEPLOYMENTS, _PARAMS, _PARAMS_SOURCE, _LICENSE_RECORDED = range(9, 16)


def _status(row: Sequence[Any], as_of: datetime | None) -> ModelStatus:
    if as_of is None:
        return model_status(row[_STATUS])
    return model_status(value_at(row[_STATUS_HISTORY], row[_STATUS_FROM], as_of))


def _time(value: Any) -> datetime | None:
    return None if value is None else to_utc(value)


def _declaration(item: Sequence[Any]) -> LicenseDeclaration:
    license_id, raw, license_name, valid_from, valid_to = item
    resolution = recorded_resolution(str(license_id), raw, license_name)
    # an unrecognised licence is named as the hub stated it, so the view shows what was declared
    stated = str(license_id) if resolution.gap is None else raw or UNKNOWN_ID
    return LicenseDeclaration(license_id=stated, license_name=license_name, raw=raw, valid_from=_time(valid_from),
                              valid_to=_time(valid_to), resolution=resolution)


def _node(row: Sequence[Any], status: ModelStatus) -> ModelNode:
    publishers = sorted(str(p) for p in row[_PUBLISHERS] or ())
    declarations = row[_DECLARATIONS] or ()
    flops = row[_FLOPS]
    params = row[_PARAMS]
    return ModelNode(
        id=str(row[_ID]),
        declarations=tuple(_declaration(d) for d in sorted(declarations, key=lambda d: d[3] or 0)),
        party=Party(publishers[-1]) if publishers else None,
        status=status,
        name=row[_NAME],
        training_compute_flops=None if flops is None else float(flops),
        params=None if params is None else int(params),
        params_source=None if params is None or row[_PARAMS_SOURCE] is None else str(row[_PARAMS_SOURCE]),
        pipeline_tag=row[_PIPELINE],
        tags=tuple(str(t) for t in row[_TAGS] or ()),
        deployments=tuple(
            DeploymentRef(str(d[0]), deployment_kind(d[1]), None if d[2] is None else str(d[2]))
            for d in sorted(row[_DEPLOYMENTS] or (), key=lambda d: str(d[0]))
        ),
        license_recorded=row[_LICENSE_RECORDED] is not False,
    )


class _Builder:
    """Turns fact rows into view nodes and edges, and tracks what the walk has seen."""

    def __init__(self, as_of: datetime | None) -> None:
        self.as_of = as_of
        self.read: set[str] = set()
        self.left_out: set[str] = set()
        self.named: set[str] = set()
        self.nodes: list[ModelNode] = []
        self.edges: list[LineageEdge] = []
        self.trips = 0
        self._added: set[str] = set()

    def add(self, rows: Iterable[Sequence[Any]]) -> set[str]:
        """Add rows; returns the parents they name."""
        as_of = self.as_of
        parents: set[str] = set()
        for r in rows:
            model_id = str(r[_ID])
            if model_id in self._added:
                continue  # read twice (overlapping families of several asked models)
            self._added.add(model_id)
            self.read.add(model_id)
            status = _status(r, as_of)
            first_seen = r[_FIRST_SEEN]
            if status in LEFT_OUT_STATUSES or (
                as_of is not None and first_seen is not None and to_utc(first_seen) > as_of
            ):
                self.left_out.add(model_id)
                continue
            self.nodes.append(_node(r, status))
            for parent, relation, confidence, valid_from, valid_to in r[_PARENTS] or ():
                parent_id = str(parent)
                self.edges.append(LineageEdge(
                    child=model_id,
                    parent=parent_id,
                    relation=as_relation(relation),
                    valid_from=_time(valid_from),
                    valid_to=_time(valid_to),
                    confidence=1.0 if confidence is None else float(confidence),
                ))
                parents.add(parent_id)
        self.named |= parents
        return parents

    def loaded(self, below: set[str]) -> LoadedView:
        view = LineageView.build(self.nodes, self.edges)
        found = set(view.nodes) | self.left_out
        return LoadedView(
            view=view,
            as_of=self.as_of,
            read=frozenset(self.read),
            left_out=frozenset(self.left_out),
            missing=frozenset(self.named - found),
            below=frozenset(below),
            round_trips=self.trips,
        )


def plan_lineage_view(
    ids: Iterable[str],
    *,
    as_of: datetime | None = None,
    descendants: bool = False,
    max_depth: int = MAX_WALK_DEPTH,
) -> c.Plan[LoadedView]:
    """The view of ``ids`` and all their ancestors, as the graph is now or was at ``as_of``.

    ``descendants=True`` adds every model below ``ids`` (and their other ancestors); they are
    listed in ``LoadedView.below``. Now, they are read with their facts in one statement
    through the ancestry index, unless some model awaits an index rebuild; otherwise (and
    ``as_of``) they are found by walking DERIVED_FROM first.
    """
    as_of = c.norm_as_of(as_of)
    asked = sorted(set(ids))
    build = _Builder(as_of)
    build.named.update(asked)
    below: set[str] = set()
    parents: set[str] = set()
    frontier = asked
    if descendants and asked:
        dirty: list[Any] = []
        if as_of is None:
            dirty = yield c.Query(q.ANY_DIRTY, {})
            build.trips += 1
        if as_of is None and not dirty:
            for chunk in _chunks(asked):
                rows = yield c.Query(q.NODE_FACTS_BELOW, {"ids": chunk})
                build.trips += 1
                parents |= build.add(rows[0]["rows"] if rows else ())
            below = build.read - set(asked)
            build.named |= build.read
            frontier = sorted(parents - build.read)
        else:
            walk = plan_descendants(asked, as_of=as_of, max_depth=max_depth)
            try:
                query = next(walk)
                while True:
                    rows = yield query
                    build.trips += 1
                    query = walk.send(rows)
            except StopIteration as done:
                below = done.value
            frontier = sorted(set(asked) | below)
            build.named |= below
    statement = q.NODE_FACTS[as_of is not None]
    for _ in range(max_depth + 1):
        if not frontier:
            break
        parents = set()
        for chunk in _chunks(frontier):
            rows = yield c.Query(statement, {"ids": chunk, "as_of": as_of})
            build.trips += 1
            parents |= build.add(rows[0]["rows"] if rows else ())
        build.read.update(frontier)
        frontier = sorted(parents - build.read)
    return build.loaded(below)


def load_lineage_view(
    driver: Driver,
    ids: Iterable[str],
    *,
    as_of: datetime | None = None,
    descendants: bool = False,
    database: str | None = None,
) -> LoadedView:
    """Run :func:`plan_lineage_view` over a sync driver."""
    return c.run(driver, plan_lineage_view(ids, as_of=as_of, descendants=descendants), database)


def load_descendants(
    driver: Driver, ids: Iterable[str], *, as_of: datetime | None = None, database: str | None = None
) -> set[str]:
    """Run :func:`plan_descendants` over a sync driver."""
    return c.run(driver, plan_descendants(ids, as_of=as_of), database)
