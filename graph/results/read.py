"""Propagation results for the API: stored ones when they are current, else computed.

The one place that decides between the store and the engine (results are stored by
:mod:`graph.results.recompute`):

* :func:`plan_stored_results` / :func:`stored_results` — the materialised result of each model
  (by id or old id): the decoded ``eff_json``, the flow facts, when and by which versions it
  was made, and whether it is stale. :meth:`StoredResult.result` rebuilds the engine's
  :class:`PropagationResult` (terms are re-derived from the knowledge base, which is why a
  result is stale when its ``kb_version`` differs from the running catalog's).
* :func:`plan_facts_with_results` — current facts and stored results of models, in one read.
* :func:`plan_model_results` — each model's result: the stored one when the question is
  about *now* and the stored result is not stale; otherwise the engine over the lineage read
  from the graph (:func:`graph.results.engine_input.plan_lineage_view`) as it is now or was at
  ``as_of`` (time travel is always computed).
* :func:`compute_results` — the engine alone, over a sync driver.
* :func:`plan_chain` — a responsibility chain (not materialised: always computed).
* :func:`plan_computed_scope` — the engine over every member of a scope and their ancestors,
  with the per-model flow facts (kept / dropped / relicensed / violated terms) the store
  would materialise (:class:`terms.propagation.flow.TermFlowAnalyzer`), for aggregates at
  ``as_of`` or over models not materialised yet.

All are plans (:mod:`graph.reads.plan`), driven over the async driver by
:class:`graph.reads.reader.GraphReader`; the sync functions drive them over a sync driver.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from neo4j import Driver

from graph.history import to_utc
from terms.deadline import check as check_deadline
from terms.licenses import EuOssEligibility, LicenseCatalog, TriState, default_catalog
from terms.propagation import ResponsibilityStep
from terms.propagation.engine import PropagationEngine
from terms.propagation.flow import FlowFacts, TermFlowAnalyzer
from terms.propagation.model import LineageView
from graph.results.engine_input import LEFT_OUT_STATUSES, LoadedView, load_lineage_view, plan_lineage_view
from graph.results.recompute import STORE_VERSION
from terms.propagation.result import (
    RESULT_VERSION,
    CommercialOutcome,
    CommercialResult,
    Conflict,
    EffectiveLicense,
    EuAiActResult,
    PathStep,
    PropagationResult,
    Role,
    Scope,
)
from terms.propagation.rules import Severity
from terms.propagation.summary import Summarizer
from graph.reads import plan as c
from graph.reads.models import facts_from, plan_facts
from graph.reads.types import ModelFacts
from graph.statements import propagation as q

__all__ = [
    "ComputedScope",
    "ModelResult",
    "StoredResult",
    "compute_results",
    "compute_scope",
    "plan_chain",
    "plan_computed_scope",
    "plan_facts_with_results",
    "plan_model_results",
    "plan_scope_view",
    "plan_stored_results",
    "result_from_json",
    "stored_from_row",
    "stored_results",
]

Source = Literal["materialised", "computed"]


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A model's materialised result as stored (``data`` is the decoded ``eff_json``)."""

    key: str  # what was asked (an id or an old id)
    model_id: str
    version: int
    store_version: int | None
    kb_version: str | None
    computed_at: datetime | None
    conflict_state: str | None
    dropped_terms: tuple[str, ...]
    violated_terms: tuple[str, ...]
    relicensed_terms: tuple[str, ...]
    data: Mapping[str, Any]

    def is_stale(self, catalog: LicenseCatalog | None = None) -> bool:
        """Made by another result format, store format or knowledge base than the running code's."""
        kb = (catalog or default_catalog()).version
        return self.version != RESULT_VERSION or self.store_version != STORE_VERSION or self.kb_version != kb

    def result(self, catalog: LicenseCatalog | None = None) -> PropagationResult:
        """The engine's result type, rebuilt from the stored JSON."""
        return result_from_json(self.data, catalog)


def _path(raw: Iterable[Sequence[str]]) -> tuple[PathStep, ...]:
    return tuple(PathStep(str(step[0]), str(step[1])) for step in raw)


def _strs(raw: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in raw or ())


def result_from_json(data: Mapping[str, Any], catalog: LicenseCatalog | None = None) -> PropagationResult:
    """A :class:`PropagationResult` from its ``to_json_dict(include_terms=False)`` form.

    The term list is re-derived from the licences in force and their scopes with the catalog
    (the same summary the engine used, when the catalog is the one that made the result).
    """
    catalog = catalog or default_catalog()
    licenses = tuple(
        EffectiveLicense(str(x["license"]), Scope(x["scope"]), _path(x["path"]), bool(x.get("via_outputs")))
        for x in data["licenses"]
    )
    summary = Summarizer(catalog).summary(tuple(sorted((lic.license_id, lic.scope) for lic in licenses)))
    com = data["commercial"]
    eu = data["eu_ai_act"]
    return PropagationResult(
        model_id=str(data["model"]),
        kb_version=str(data["kb_version"]),
        declared=_strs(data["declared"]),
        declared_raw=_strs(data["declared_raw"]),
        licenses=licenses,
        term_rows=summary.term_rows,
        term_ids=summary.term_ids,
        restrictions=_strs(data["restrictions"]),
        restrictions_complete=bool(data["restrictions_complete"]),
        conflicts=tuple(
            Conflict(str(x["rule"]), Severity(x["severity"]), str(x["message"]), _path(x["path"]),
                     _strs(x.get("licenses")))
            for x in data["conflicts"]
        ),
        commercial=CommercialResult(
            status=CommercialOutcome(com["status"]),
            governing_license=com["governing_license"],
            path=_path(com["path"]),
            license_status=com["license_status"],
            mau_threshold=com["mau_threshold"],
            mau_license=com["mau_license"],
            revenue_threshold_usd=com["revenue_threshold_usd"],
            revenue_license=com["revenue_license"],
            registration_required=bool(com["registration_required"]),
            known_floor=None if com["known_floor"] is None else CommercialOutcome(com["known_floor"]),
            missing=_strs(com["missing"]),
        ),
        eu_ai_act=EuAiActResult(
            oss_exemption=EuOssEligibility(eu["oss_exemption"]),
            oss_reasons=_strs(eu["oss_reasons"]),
            systemic_risk=TriState(eu["systemic_risk"]),
            systemic_risk_basis=str(eu.get("systemic_risk_basis") or ""),
            cumulative_compute_flops=eu["cumulative_compute_flops"],
            compute_lower_bound_flops=eu["compute_lower_bound_flops"],
            modifier_becomes_provider=TriState(eu["modifier_becomes_provider"]),
            provider_basis=str(eu["provider_basis"]),
            missing=_strs(eu["missing"]),
        ),
        role=Role(data["role"]),
        unknown_parts=_strs(data["unknown_parts"]),
        unchecked_rules=_strs(data["unchecked_rules"]),
    )


def plan_stored_results(ids: Iterable[str]) -> c.Plan[dict[str, StoredResult]]:
    """The stored result of each model named (by id or old id); models never materialised are absent."""
    keys = sorted(set(ids))
    if not keys:
        return {}
    rows = yield c.Query(q.MATERIALISED_RESULTS, {"ids": keys})
    out: dict[str, StoredResult] = {}
    for r in rows:
        found = stored_from_row(r)
        if found is not None:
            out[found.key] = found
    return out


def stored_from_row(r: Any) -> StoredResult | None:
    """A row with ``key`` and the columns of ``STORED_RESULT_COLUMNS`` as a stored result (None: never stored)."""
    if r["version"] is None or r["json"] is None:
        return None
    return StoredResult(
        key=str(r["key"]),
        model_id=str(r["id"]),
        version=int(r["version"]),
        store_version=None if r["store_version"] is None else int(r["store_version"]),
        kb_version=r["kb_version"],
        computed_at=None if r["computed_at"] is None else to_utc(r["computed_at"]),
        conflict_state=r["conflict_state"],
        dropped_terms=_strs(r["dropped_terms"]),
        violated_terms=_strs(r["violated_terms"]),
        relicensed_terms=_strs(r["relicensed_terms"]),
        data=json.loads(r["json"]),
    )


def plan_facts_with_results(ids: Sequence[str]) -> c.Plan[tuple[dict[str, ModelFacts], dict[str, StoredResult]]]:
    """Current facts and stored propagation results of each model named (by id or old id), in one read."""
    keys = sorted(set(ids))
    if not keys:
        return {}, {}
    rows = yield c.Query(q.MODEL_FACTS_WITH_RESULTS, {"ids": keys})
    facts: dict[str, ModelFacts] = {}
    stored: dict[str, StoredResult] = {}
    for r in rows:
        found = facts_from(r["model"], None)
        if found is not None:
            facts[str(r["key"])] = found
        result = stored_from_row(r)
        if result is not None:
            stored[result.key] = result
    return facts, stored


def stored_results(driver: Driver, ids: Iterable[str], *, database: str | None = None) -> dict[str, StoredResult]:
    """Run :func:`plan_stored_results` over a sync driver."""
    return c.run(driver, plan_stored_results(ids), database)


def compute_results(
    driver: Driver,
    ids: Iterable[str],
    *,
    as_of: datetime | None = None,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
) -> dict[str, PropagationResult]:
    """Engine results for ``ids`` over the lineage as it was at ``as_of`` (None: now), computed on the fly.

    Models not in the graph, not crawled, or not yet seen at ``as_of`` are absent from the answer.
    """
    asked = sorted(set(ids))
    loaded = load_lineage_view(driver, asked, as_of=as_of, database=database)
    present = [m for m in asked if m in loaded.view.nodes]
    return PropagationEngine(catalog).evaluate(loaded.view, present)


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
