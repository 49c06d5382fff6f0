"""Read propagation results for the API: stored ones (now) and computed ones (``as_of`` an instant).

* :func:`plan_stored_results` / :func:`stored_results` — the materialised result of each model
  (by id or old id): the decoded ``eff_json``, the flow facts, when and by which versions it
  was made, and whether it is stale. :meth:`StoredResult.result` rebuilds the engine's
  :class:`PropagationResult` (terms are re-derived from the knowledge base, which is why a
  result is stale when its ``kb_version`` differs from the running catalog's).
* :func:`compute_results` — the engine over the lineage read from the graph as it is now or
  was at ``as_of`` (materialised results are "now"; time travel is always computed).

Plans (generators of queries) can be driven by the async services as well; the sync
functions drive them over a sync driver.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver

from graph.history import to_utc
from terms.licenses import EuOssEligibility, LicenseCatalog, TriState, default_catalog
from terms.propagation.engine import PropagationEngine
from graph.results.engine_input import load_lineage_view
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
from graph.reads import _common as c
from graph.statements import propagation as q

__all__ = [
    "stored_from_row",
    "StoredResult",
    "compute_results",
    "plan_stored_results",
    "result_from_json",
    "stored_results",
]


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
