"""Reads of the graph, returning plain frozen data classes (:mod:`graph.reads.types`).

The sync reads exported here take a sync ``neo4j.Driver`` first and keyword-only options, among them
``as_of`` (None = now) and ``database``; a model may be named by its current id or any
old id (alias). Unknown models raise :class:`graph.errors.ModelNotFound`; bad depths,
limits, relations or cursors raise :class:`graph.errors.InvalidArgument`.

Each read is also exposed as a plan (``plan_*``): a generator of :class:`Query` objects that
any driver can run (:func:`graph.reads.plan.run` for the sync driver, :mod:`graph.reads.run_async`
for the async one, which :class:`graph.reads.reader.GraphReader` uses). The batched reads behind
the API are plans too (:mod:`graph.reads.models`, :mod:`graph.reads.scope`); their read models
are in :mod:`graph.reads.types`.
"""

from graph.reads.plan import Plan, Query, run
from graph.reads.lineage import (
    ancestors,
    descendants,
    family,
    paths_between,
    plan_ancestors,
    plan_descendants,
    plan_family,
    plan_paths_between,
)
from graph.reads.lookup import by_file, deployments, model, plan_by_file, plan_deployments, plan_model
from graph.reads.types import (
    AncestorNode,
    Ancestry,
    Deployment,
    Descendant,
    DescendantsPage,
    Evidence,
    FamilyStats,
    FileMatch,
    LineageEdge,
    ModelRef,
    PathKind,
    PathsBetween,
)

__all__ = [
    "AncestorNode",
    "Ancestry",
    "Deployment",
    "Descendant",
    "DescendantsPage",
    "Evidence",
    "FamilyStats",
    "FileMatch",
    "LineageEdge",
    "ModelRef",
    "PathKind",
    "PathsBetween",
    "Plan",
    "Query",
    "ancestors",
    "by_file",
    "deployments",
    "descendants",
    "family",
    "model",
    "paths_between",
    "plan_ancestors",
    "plan_by_file",
    "plan_deployments",
    "plan_descendants",
    "plan_family",
    "plan_model",
    "plan_paths_between",
    "run",
]
