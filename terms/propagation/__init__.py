"""Propagation engine: from a lineage view, the terms, conflicts, commercial status,
responsibility chain and EU AI Act status of each model, each with the path that explains it.

Quick use::

    from terms.propagation import LineageView, PropagationEngine, view_as_of
    engine = PropagationEngine()                       # bundled licence catalog
    results = engine.evaluate(view_as_of(view, instant))
    results["org/model"].to_properties()               # flat eff_* properties for the store

The engine modules need no database. The store around it speaks Neo4j and is imported from
its own modules: ``lineage_loader`` (the engine's input read from the graph, ``as_of``),
``materialise`` (results stored on Model nodes, incremental and full recompute),
``materialised`` (stored results, on-the-fly ``as_of`` results) and ``aggregates``
(whole-family aggregates from the stored results); ``flow`` defines keep / drop / violate.
"""

from terms.propagation.bulk import PropertyRow, no_cyclic_gc, property_rows
from terms.propagation.engine import PropagationEngine, PropagationRun
from terms.propagation.errors import PropagationError, UnknownModelError
from terms.propagation.incremental import ConflictCounts, affected_models, aggregate_conflicts, recompute_order
from terms.propagation.model import (
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
from terms.propagation.result import (
    RESULT_VERSION,
    CommercialOutcome,
    CommercialResult,
    Conflict,
    EffectiveLicense,
    EffectiveTerm,
    EuAiActResult,
    Obligation,
    PathStep,
    PropagationResult,
    ResponsibilityStep,
    Role,
    Scope,
)
from terms.propagation.rules import RULES, ConflictState, Rule, Severity

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
    "UnknownModelError",
    "WeightsAccess",
    "affected_models",
    "no_cyclic_gc",
    "property_rows",
    "aggregate_conflicts",
    "recompute_order",
    "view_as_of",
]
