"""Propagation results for the API: materialised ones when they are current, else computed.

* :func:`plan_model_results` — each model's :class:`PropagationResult`: the stored one
  (``eff_json``, :mod:`graph.results.read`) when the question is about *now* and
  the stored result is not stale; otherwise the engine over the lineage read from the graph
  (:func:`graph.results.engine_input.plan_lineage_view`) as it is now or was at ``as_of``.
* :func:`plan_chain` — a responsibility chain (not materialised: always computed).
* :func:`plan_computed_scope` — the engine over every member of a scope and their ancestors,
  with the per-model flow facts (kept / dropped / relicensed / violated terms) the store
  would materialise (:class:`terms.propagation.flow.TermFlowAnalyzer`), for aggregates at
  ``as_of`` or over models not materialised yet.

All are plans, driven by :class:`graph.services.reader.GraphReader` over the async driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from terms.deadline import check as check_deadline
from terms.licenses import LicenseCatalog
from terms.propagation import PropagationEngine, PropagationResult, ResponsibilityStep
from terms.propagation.flow import FlowFacts, TermFlowAnalyzer
from graph.results.engine_input import LEFT_OUT_STATUSES, LoadedView, plan_lineage_view
from terms.propagation.model import LineageView
from graph.results.read import StoredResult, plan_stored_results
from graph.reads import _common as c
from graph.services.models import plan_facts
from graph.services.types import ModelFacts

__all__ = ["ComputedScope", "ModelResult", "plan_chain", "plan_computed_scope", "plan_model_results"]

Source = Literal["materialised", "computed"]


@dataclass(frozen=True, slots=True)
class ModelResult:
    """One model's result, and whether it was read from the store or computed for this request."""

    model_id: str
    result: PropagationResult
    source: Source


def _computable(facts: ModelFacts) -> bool:
    return facts.ref.status not in LEFT_OUT_STATUSES


def plan_model_results(
    ids: Sequence[str],
    *,
    as_of: datetime | None,
    engine: PropagationEngine,
    catalog: LicenseCatalog,
    facts: Mapping[str, ModelFacts] | None = None,
    stored: Mapping[str, StoredResult] | None = None,
) -> c.Plan[dict[str, ModelResult]]:
    """Results by the key asked (an id or an old id); models unknown, not crawled or not yet seen are absent.

    ``stored``: stored results already read with the facts (by current id), so they are not read again."""
    as_of = c.norm_as_of(as_of)
    if facts is None:
        facts = yield from plan_facts(ids, as_of=as_of)
    wanted = {key: f.id for key, f in facts.items() if key in set(ids) and _computable(f)}
    by_id: dict[str, ModelResult] = {}
    todo = sorted(set(wanted.values()))
    if as_of is None and todo:
        known = {i: stored[i] for i in todo if stored is not None and i in stored}
        missing = [i for i in todo if i not in known]
        if missing:
            known.update((yield from plan_stored_results(missing)))
        for found in known.values():
            if not found.is_stale(catalog):
                by_id[found.model_id] = ModelResult(found.model_id, found.result(catalog), "materialised")
        todo = [i for i in todo if i not in by_id]
    if todo:
        loaded = yield from plan_lineage_view(todo, as_of=as_of)
        present = [i for i in todo if i in loaded.view.nodes]
        computed = yield c.Compute(engine.evaluate, (loaded.view, present))
        for model_id, result in computed.items():
            by_id[model_id] = ModelResult(model_id, result, "computed")
    return {key: by_id[mid] for key, mid in wanted.items() if mid in by_id}


def plan_chain(
    model_id: str, *, as_of: datetime | None, engine: PropagationEngine
) -> c.Plan[tuple[ResponsibilityStep, ...]]:
    """The responsibility chain of a model (current id) as of ``as_of``; empty when it cannot be computed."""
    loaded = yield from plan_lineage_view([model_id], as_of=as_of)
    if model_id not in loaded.view.nodes:
        return ()
    chain = yield c.Compute(_chain, (engine, loaded.view, model_id))
    return chain


def _chain(engine: PropagationEngine, view: LineageView, model_id: str) -> tuple[ResponsibilityStep, ...]:
    return engine.run(view).responsibility_chain(model_id)


@dataclass(frozen=True)
class ComputedScope:
    """Engine results and flow facts for the members of a scope (and the view they came from)."""

    loaded: LoadedView
    results: dict[str, PropagationResult]
    flow: dict[str, FlowFacts]


def compute_scope(loaded: LoadedView, members: Sequence[str], engine: PropagationEngine) -> ComputedScope:
    """CPU work of :func:`plan_computed_scope` (pure; run it in a thread for large scopes)."""
    run = engine.run(loaded.view)
    present = [m for m in members if m in loaded.view.nodes]
    results = run.results(present)
    analyzer = TermFlowAnalyzer(run.catalog, run.summarizer)
    flow = {}
    for m in present:
        check_deadline()
        flow[m] = analyzer.facts(run.states[m], results[m])
    return ComputedScope(loaded, results, flow)


def plan_scope_view(members: Sequence[str], *, as_of: datetime | None) -> c.Plan[LoadedView]:
    """The lineage view of a scope's members and all their ancestors."""
    return (yield from plan_lineage_view(members, as_of=as_of))


def plan_computed_scope(
    members: Sequence[str], *, as_of: datetime | None, engine: PropagationEngine
) -> c.Plan[ComputedScope]:
    """Read the view and compute (a compute step): see :func:`compute_scope`."""
    loaded = yield from plan_scope_view(members, as_of=as_of)
    computed = yield c.Compute(compute_scope, (loaded, members, engine))
    return computed
