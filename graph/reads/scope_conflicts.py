"""A scope's conflicts, one row per conflict: what the dashboard's click-through and CSV export list.

The scope's members come from :mod:`graph.reads.scope` (the same membership the aggregates count);
each member's propagation result comes from :func:`graph.results.read.plan_model_results` — the
materialised one when the question is about now and it is current, else computed (always for
``as_of``). The conflicts are flattened and ordered by model id, then rule; within a model the
engine's order is kept, and ``ordinal`` numbers a model's rows so a page can start after one.

Read in pages of members (:data:`MEMBERS_PER_PAGE`, ids in order), so a long list streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from graph.reads import plan as c
from graph.reads.scope import ScopeMembers
from graph.results.read import plan_model_results
from terms.licenses import LicenseCatalog
from terms.propagation.engine import PropagationEngine
from terms.propagation.rules import Severity

__all__ = ["MEMBERS_PER_PAGE", "ScopeConflict", "member_pages", "plan_scope_conflicts"]

MEMBERS_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class ScopeConflict:
    """One conflict of one member of a scope."""

    model_id: str
    ordinal: int  # its position among the model's rows (0, 1, …), for cursors
    rule: str
    severity: Severity
    message: str
    licenses: tuple[str, ...]  # the licences the rule names, else those declared along the path
    path: tuple[str, ...]  # model ids from the model towards the cause
    sources: tuple[str, ...]  # where the licences involved are published (the knowledge base's sources)


def member_pages(scope: ScopeMembers, size: int = MEMBERS_PER_PAGE) -> list[list[str]]:
    """The scope's member ids in order, cut into pages of ``size``."""
    ids = sorted({m.id for m in scope.members})
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def plan_scope_conflicts(
    ids: Sequence[str],
    *,
    as_of: datetime | None,
    engine: PropagationEngine,
    catalog: LicenseCatalog,
    rule: str | None = None,
    severity: Severity | None = None,
) -> c.Plan[tuple[ScopeConflict, ...]]:
    """The conflicts of the models ``ids`` (members of a scope), of ``rule`` and ``severity`` when named,
    ordered by model id and rule. Models without a result (not crawled, unavailable) have none."""
    results = yield from plan_model_results(list(ids), as_of=as_of, engine=engine, catalog=catalog)
    rows: list[ScopeConflict] = []
    for model_id in sorted(results):
        found = results[model_id].result
        ordered = sorted(found.conflicts, key=lambda x: x.rule)  # stable: the engine's order within a rule
        for ordinal, conflict in enumerate(ordered):
            if (rule is not None and conflict.rule != rule) or (severity is not None and conflict.severity != severity):
                continue
            licences = tuple(conflict.license_ids) or tuple(dict.fromkeys(s.license_id for s in conflict.path))
            rows.append(ScopeConflict(
                model_id=model_id,
                ordinal=ordinal,
                rule=conflict.rule,
                severity=conflict.severity,
                message=conflict.message,
                licenses=licences,
                path=tuple(s.model_id for s in conflict.path),
                sources=_sources(catalog, licences),
            ))
    return tuple(rows)


def _sources(catalog: LicenseCatalog, licences: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for licence in licences:
        if licence not in catalog:
            continue  # "none", "unknown", "other": no published text to point to
        for url in catalog.get(licence).sources:
            if url not in out:
                out.append(url)
    return tuple(out)
