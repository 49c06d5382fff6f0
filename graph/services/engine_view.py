"""The propagation engine's input read from the graph: a lineage view of models and all their ancestors.

:func:`plan_engine_view` reads the up-closure of the asked models (each model and every
ancestor, through the ancestry index now, or through the DERIVED_FROM versions valid at
``as_of``) in one statement and turns it into a :class:`graph.propagation.LineageView`:

* a model known only as someone's parent (status ``unknown``) or that could not be read
  (``unavailable``), or not yet seen at ``as_of``, is left out of the view, so the engine
  reports it as a gap (rule G06) instead of treating it as "declares no licence";
* the declaration is the licence in force at ``as_of`` (for an unrecognised licence the raw
  value the hub gave, so the engine's message names it);
* deployments are those serving the model at ``as_of``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.observations import DeploymentKind, ModelStatus, Relation
from graph.propagation import (
    DeploymentRef,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    Party,
)
from graph.reads import _common as c
from graph.services.models import facts_from
from graph.services.types import ModelFacts
from graph.statements import services as q

__all__ = ["DeploymentRow", "EngineInput", "plan_engine_view"]

_LEFT_OUT = {ModelStatus.UNKNOWN.value, ModelStatus.UNAVAILABLE.value}


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    id: str
    kind: str | None
    operator: str | None
    status: str | None
    url: str | None
    model_id: str


@dataclass(frozen=True, slots=True)
class EngineInput:
    """A lineage view and what was read to build it."""

    as_of: datetime | None
    keys: Mapping[str, str]  # asked id (or old id) -> current id
    view: LineageView
    facts: Mapping[str, ModelFacts]  # every node read (also those left out of the view)
    deployments: Mapping[str, tuple[DeploymentRow, ...]]


def _relation(value: Any) -> Relation:
    try:
        return Relation(str(value))
    except ValueError:
        return Relation.UNKNOWN


def _kind(value: Any) -> DeploymentKind:
    try:
        return DeploymentKind(str(value))
    except ValueError:
        return DeploymentKind.ENDPOINT


def _node(facts: ModelFacts, deployments: Sequence[DeploymentRow], as_of: datetime | None) -> ModelNode:
    ref = facts.ref
    declarations: tuple[LicenseDeclaration, ...] = ()
    if ref.declared_license is not None:
        license_id = ref.declared_license
        if license_id == "unknown" and as_of is None and facts.license_raw:
            license_id = facts.license_raw  # the verbatim value, so the gap names it
        declarations = (LicenseDeclaration(license_id=license_id, raw=facts.license_raw),)
    try:
        status = ModelStatus(ref.status)
    except ValueError:
        status = ModelStatus.UNKNOWN
    return ModelNode(
        id=ref.id,
        declarations=declarations,
        party=Party(ref.author) if ref.author else None,
        status=status,
        name=facts.name,
        training_compute_flops=facts.training_compute_flops,
        pipeline_tag=facts.pipeline_tag,
        tags=facts.tags,
        deployments=tuple(DeploymentRef(d.id, _kind(d.kind), d.operator) for d in deployments),
    )


def plan_engine_view(ids: Sequence[str], *, as_of: datetime | None = None) -> c.Plan[EngineInput]:
    """The up-closure of ``ids`` (ids or old ids) as the engine's lineage view at ``as_of``."""
    as_of = c.norm_as_of(as_of)
    asked = sorted(set(ids))
    if not asked:
        return EngineInput(as_of, {}, LineageView.build((), ()), {}, {})
    rows = yield c.Query(q.ENGINE_VIEW[as_of is not None], {"ids": asked, "as_of": as_of})
    keys: dict[str, str] = {}
    nodes: list[ModelNode] = []
    edges: list[LineageEdge] = []
    facts: dict[str, ModelFacts] = {}
    deployments: dict[str, tuple[DeploymentRow, ...]] = {}
    for r in rows:
        if not keys:
            keys = {str(k): str(v) for k, v in r["keys"]}
        found = facts_from(r["node"], as_of)
        if found is None:  # not yet known at as_of
            continue
        model_id = found.id
        facts[model_id] = found
        deps = tuple(
            DeploymentRow(str(d[0]), d[1], d[2], d[3], d[4], model_id) for d in r["deployments"]
        )
        deployments[model_id] = deps
        if found.ref.status in _LEFT_OUT:
            continue
        nodes.append(_node(found, deps, as_of))
        for parent, relation, confidence in r["parents"]:
            edges.append(
                LineageEdge(
                    child=model_id,
                    parent=str(parent),
                    relation=_relation(relation),
                    confidence=1.0 if confidence is None else float(confidence),
                )
            )
    return EngineInput(as_of, keys, LineageView.build(nodes, edges), facts, deployments)
