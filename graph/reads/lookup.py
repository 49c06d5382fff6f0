"""Point reads: a model, models by a file's sha256, deployments of models or reached from a model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from neo4j import Driver

from graph.errors import InvalidArgument, ModelNotFound, NotKnownAtInstant
from graph.reads import plan as c
from graph.reads.convert import deployment_kind, model_ref, opt_time
from graph.reads.known_since import known_at, plan_known_since
from graph.reads.lineage import _walk_down
from graph.reads.scope import counted_prefixes
from graph.reads.types import Deployment, FileMatch, ModelRef
from graph.statements import reads as q

__all__ = [
    "by_file",
    "deployments",
    "model",
    "plan_by_file",
    "plan_check_known",
    "plan_deployments",
    "plan_deployments_of",
    "plan_family_deployments",
    "plan_model",
]


def model(driver: Driver, model_id: str, *, as_of: datetime | None = None, database: str | None = None) -> ModelRef:
    """A model (by id or old id) as it was at ``as_of``."""
    return c.run(driver, plan_model(model_id, as_of=as_of), database)


def plan_model(model_id: str, *, as_of: datetime | None = None) -> c.Plan[ModelRef]:
    """The plan of :func:`model` (:class:`NotKnownAtInstant` when ``as_of`` lies before its known_since)."""
    as_of = c.norm_as_of(as_of)
    rows = yield c.Query(q.MODEL_NODE if as_of is None else q.MODEL_NODE_AS_OF, {"id": model_id})
    if not rows:
        raise ModelNotFound(model_id)
    ref = model_ref(rows[0]["model"], as_of)
    if as_of is not None:
        since = opt_time(rows[0]["known_since"])
        if not known_at(since, as_of):
            assert since is not None
            raise NotKnownAtInstant(ref.id, since, as_of)
    return ref


def plan_check_known(model_id: str, as_of: datetime) -> c.Plan[None]:
    """Raise :class:`NotKnownAtInstant` when the model (id or old id) is not known at ``as_of``,
    :class:`ModelNotFound` when the graph does not hold it at all."""
    as_of = c.norm_as_of(as_of)
    found = (yield from plan_known_since([model_id])).get(model_id)
    if found is None:
        raise ModelNotFound(model_id)
    if not known_at(found.since, as_of):
        assert found.since is not None and as_of is not None
        raise NotKnownAtInstant(found.model_id, found.since, as_of)


def by_file(
    driver: Driver, sha256: str, *, as_of: datetime | None = None, database: str | None = None
) -> tuple[FileMatch, ...]:
    """Every model holding a file with this sha256 (LFS object id), as of ``as_of``."""
    return c.run(driver, plan_by_file(sha256, as_of=as_of), database)


def plan_by_file(sha256: str, *, as_of: datetime | None = None) -> c.Plan[tuple[FileMatch, ...]]:
    """The plan of :func:`by_file`."""
    if not sha256:
        raise InvalidArgument("sha256 must not be empty")
    as_of = c.norm_as_of(as_of)
    rows = yield c.Query(q.BY_FILE, {"sha256": sha256.lower(), "as_of": as_of})
    return tuple(
        FileMatch(str(r["sha256"]), r["name"], r["size"], model_ref(r["model"], as_of)) for r in rows
    )


def deployments(
    driver: Driver,
    model_id: str,
    *,
    as_of: datetime | None = None,
    include_descendants: bool = True,
    max_depth: int = c.MAX_DEPTH,
    database: str | None = None,
) -> tuple[Deployment, ...]:
    """Deployments serving the model (depth 0) and, optionally, any of its descendants."""
    plan = plan_deployments(model_id, as_of=as_of, include_descendants=include_descendants, max_depth=max_depth)
    return c.run(driver, plan, database)


def plan_deployments(
    model_id: str,
    *,
    as_of: datetime | None = None,
    include_descendants: bool = True,
    max_depth: int = c.MAX_DEPTH,
) -> c.Plan[tuple[Deployment, ...]]:
    """The plan of :func:`deployments`."""
    c.check_depth(max_depth)
    as_of = c.norm_as_of(as_of)
    head = yield c.Query(q.MODEL_NODE, {"id": model_id})
    if not head:
        raise ModelNotFound(model_id)
    root = str(head[0]["model"]["id"])
    models = [{"id": root, "depth": 0}]
    if include_descendants:
        if as_of is None:
            rows = yield c.Query(q.DESCENDANT_IDS, {"id": root, "max_depth": max_depth})
            models += [{"id": str(r["id"]), "depth": int(r["depth"])} for r in rows]
        else:
            walked, _ = yield from _walk_down(root, as_of, max_depth)
            models += [{"id": str(r["id"]), "depth": int(r["depth"])} for r in walked]
    rows = yield c.Query(q.DEPLOYMENTS_OF, {"models": models, "as_of": as_of})
    return tuple(_deployment(r) for r in rows)


def plan_deployments_of(
    ids: Sequence[str], *, as_of: datetime | None = None, depths: dict[str, int] | None = None
) -> c.Plan[dict[str, tuple[Deployment, ...]]]:
    """Deployments serving each model itself (by current id; at ``depths`` when given, else depth 0)."""
    as_of = c.norm_as_of(as_of)
    keys = sorted(set(ids))
    if not keys:
        return {}
    models = [{"id": k, "depth": (depths or {}).get(k, 0)} for k in keys]
    rows = yield c.Query(q.DEPLOYMENTS_OF, {"models": models, "as_of": as_of})
    out: dict[str, list[Deployment]] = {k: [] for k in keys}
    for r in rows:
        out[str(r["model_id"])].append(_deployment(r))
    return {k: tuple(v) for k, v in out.items()}


def plan_family_deployments(
    root: str, *, limit: int, fixture_prefixes: Sequence[str] | None = None
) -> c.Plan[tuple[tuple[Deployment, ...], int]]:
    """The ``limit`` deployments nearest a root (serving it or a descendant now), and how many there are;
    deployments of fixture models are not counted (see :func:`graph.reads.scope.counted_prefixes`)."""
    skip = list(counted_prefixes(root, fixture_prefixes=fixture_prefixes))
    rows = yield c.Query(q.FAMILY_DEPLOYMENTS, {"id": root, "limit": limit, "fixture_prefixes": skip})
    if not rows:
        return (), 0
    return tuple(_deployment(r) for r in rows[0]["rows"]), int(rows[0]["total"])


def _deployment(r: Any) -> Deployment:
    return Deployment(
        id=str(r["id"]),
        kind=deployment_kind(r["kind"]),
        status=r["status"],
        url=r["url"],
        operator=r["operator"],
        model_id=str(r["model_id"]),
        depth=int(r["depth"]),
        first_seen=opt_time(r["first_seen"]),
        last_seen=opt_time(r["last_seen"]),
    )
