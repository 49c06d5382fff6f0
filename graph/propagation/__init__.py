"""Propagation engine: from a lineage view, the terms, conflicts, commercial status,
responsibility chain and EU AI Act status of each model, each with the path that explains it.

Quick use::

    from graph.propagation import LineageView, PropagationEngine, view_as_of
    engine = PropagationEngine()                       # bundled licence catalog
    results = engine.evaluate(view_as_of(view, instant))
    results["org/model"].to_properties()               # flat eff_* properties for the store

The engine modules need no database. The store around it speaks Neo4j and is imported from
its own modules: ``lineage_loader`` (the engine's input read from the graph, ``as_of``),
``materialise`` (results stored on Model nodes, incremental and full recompute),
``materialised`` (stored results, on-the-fly ``as_of`` results) and ``aggregates``
(whole-family aggregates from the stored results); ``flow`` defines keep / drop / violate.
"""

from graph.propagation.bulk import PropertyRow, no_cyclic_gc, property_rows
from graph.propagation.engine import PropagationEngine, PropagationRun
from graph.propagation.errors import PropagationError, UnknownModelError
from graph.propagation.incremental import ConflictCounts, affected_models, aggregate_conflicts, recompute_order
from graph.propagation.model import (
    DeclarationSource,
    DeploymentRef,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    Party,
    PartyKind,
    WeightsAccess,
    view_as_of,
)
from graph.propagation.result import (
    RESULT_VERSION,
    CommercialOutcome,
    CommercialResult,
    Conflict,
    EffectiveLicense,
    EffectiveTerm,
    Eligibility,
    EuAiActResult,
    Obligation,
    PathStep,
    PropagationResult,
    ResponsibilityStep,
    Role,
    Scope,
    TriState,
)
from graph.propagation.rules import RULES, Rule, Severity

__all__ = [
    "RESULT_VERSION",
    "RULES",
    "CommercialOutcome",
    "CommercialResult",
    "Conflict",
    "ConflictCounts",
    "DeclarationSource",
    "DeploymentRef",
    "EffectiveLicense",
    "EffectiveTerm",
    "Eligibility",
    "EuAiActResult",
    "LicenseDeclaration",
    "LineageEdge",
    "LineageView",
    "ModelNode",
    "Obligation",
    "Party",
    "PartyKind",
    "PathStep",
    "PropagationEngine",
    "PropagationError",
    "PropagationResult",
    "PropagationRun",
    "PropertyRow",
    "ResponsibilityStep",
    "Role",
    "Rule",
    "Scope",
    "Severity",
    "TriState",
    "UnknownModelError",
    "WeightsAccess",
    "affected_models",
    "no_cyclic_gc",
    "property_rows",
    "aggregate_conflicts",
    "recompute_order",
    "view_as_of",
]
