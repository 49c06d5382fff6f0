"""``path(from, to)``: how two models are related, each path ordered from → to, each hop with its edge.

A hop follows one DERIVED_FROM edge either way: ``UP`` to the parent of the model before it, ``DOWN``
to a model derived from it. Its ``derivation`` is the edge itself (relation, confidence, validity and
the evidence for it). ``from == to`` (also through an old id) is the trivial path of one model.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated

import strawberry

from api.enums import Relation
from api.lineage.types import Derivation
from graph.reads import LineageEdge, PathKind
from graph.reads.types import PathsBetween

__all__ = ["HopDirection", "LineagePath", "ModelPaths", "PathHop", "Relatedness", "model_paths", "same_model"]


@strawberry.enum(description="How `to` is related to `from`.")
class Relatedness(enum.Enum):
    SAME_MODEL = "same_model"
    TO_DESCENDS_FROM_FROM = "to_descends_from_from"
    FROM_DESCENDS_FROM_TO = "from_descends_from_to"
    COMMON_ANCESTOR = "common_ancestor"
    UNRELATED = "unrelated"


_RELATEDNESS = {
    PathKind.TARGET_DESCENDS_FROM_SOURCE: Relatedness.TO_DESCENDS_FROM_FROM,
    PathKind.SOURCE_DESCENDS_FROM_TARGET: Relatedness.FROM_DESCENDS_FROM_TO,
    PathKind.COMMON_ANCESTOR: Relatedness.COMMON_ANCESTOR,
    PathKind.UNRELATED: Relatedness.UNRELATED,
}


@strawberry.enum(description="Which way a hop follows its edge.")
class HopDirection(enum.Enum):
    UP = "up"  # to the parent of the model before it
    DOWN = "down"  # to a model derived from the model before it


@strawberry.type(description="One hop of a path, along one DERIVED_FROM edge.")
class PathHop:
    from_: Annotated[strawberry.ID, strawberry.field(name="from")]
    to: strawberry.ID
    direction: HopDirection
    relation: Relation = strawberry.field(description="How the child of the edge was derived from its parent.")
    derivation: Derivation = strawberry.field(description="The edge: relation, confidence, validity, evidence.")


@strawberry.type(description="One path, from `from` to `to`.")
class LineagePath:
    model_ids: list[strawberry.ID] = strawberry.field(description="The models on the path, `from` first, `to` last.")
    hops: list[PathHop] = strawberry.field(description="One per edge; empty for the trivial path.")


@strawberry.type(description="How two models are related, and every lineage path between them (at most 100).")
class ModelPaths:
    from_: Annotated[strawberry.ID, strawberry.field(name="from", description="The current id of `from`.")]
    to: strawberry.ID = strawberry.field(description="The current id of `to`.")
    relatedness: Relatedness
    common_ancestors: list[strawberry.ID] = strawberry.field(
        description="With COMMON_ANCESTOR: the nearest ancestors both descend from (each path passes one)."
    )
    paths: list[LineagePath] = strawberry.field(description="Shortest first; empty when UNRELATED.")


def same_model(model_id: str) -> ModelPaths:
    """The trivial answer for ``from == to``."""
    one = strawberry.ID(model_id)
    return ModelPaths(
        from_=one, to=one, relatedness=Relatedness.SAME_MODEL, common_ancestors=[],
        paths=[LineagePath(model_ids=[one], hops=[])],
    )


def _hops(path: Sequence[str], edges: Mapping[tuple[str, str], LineageEdge], as_of: datetime | None) -> list[PathHop]:
    hops = []
    for a, b in zip(path, path[1:], strict=False):
        up = edges.get((a, b))
        edge, direction = (up, HopDirection.UP) if up is not None else (edges[(b, a)], HopDirection.DOWN)
        hops.append(PathHop(
            from_=strawberry.ID(a), to=strawberry.ID(b), direction=direction, relation=edge.relation,
            derivation=Derivation.from_internal(edge, as_of),
        ))
    return hops


def model_paths(found: PathsBetween) -> ModelPaths:
    """The read's answer, every path turned to run from ``found.source`` to ``found.target``."""
    edges = {(e.child, e.parent): e for e in found.edges}
    ordered = [
        tuple(reversed(p)) if found.kind is PathKind.TARGET_DESCENDS_FROM_SOURCE else tuple(p) for p in found.paths
    ]
    return ModelPaths(
        from_=strawberry.ID(found.source),
        to=strawberry.ID(found.target),
        relatedness=_RELATEDNESS[found.kind],
        common_ancestors=[strawberry.ID(a) for a in found.common_ancestors],
        paths=[
            LineagePath(model_ids=[strawberry.ID(m) for m in p], hops=_hops(p, edges, found.as_of)) for p in ordered
        ],
    )
