"""Finding models: filtered, sorted pages of models and of roots, and descendant counts (plans).

A page continues after a :data:`~graph.reads.types.PageKey` (the last row's sort key and id), see
:mod:`graph.statements.search`. Every filter is optional; the licence is a canonical id (the API
resolves aliases and case with the knowledge base before it gets here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from crawler.observations import KnownFrom, Relation
from graph.errors import InvalidArgument
from graph.reads import plan as c
from graph.reads.models import check_limit, facts_from
from graph.reads.types import ModelPage, PageKey, RootEntry, RootPage
from graph.settings import configured_fixture_prefixes
from graph.statements import search as q
from graph.statements.search import SortKey
from terms.propagation.result import CommercialOutcome
from terms.propagation.rules import RULES, Severity

__all__ = ["ModelFilters", "SortKey", "plan_descendant_counts", "plan_roots", "plan_search"]

MAX_SEARCH = 200
"""Longest search text or author accepted."""


@dataclass(frozen=True, slots=True)
class ModelFilters:
    """What ``models(...)`` asks for; None means "any"."""

    search: str | None = None  # the id contains it, any case
    license_id: str | None = None  # canonical id of the licence declared now
    author: str | None = None  # the namespace of the id, any case
    relation: Relation | None = None  # derived from some parent this way
    has_conflict: bool | None = None  # a warning or a violation (info findings are not conflicts)
    severity: Severity | None = None  # at least one conflict of this severity
    rule: str | None = None  # at least one conflict of this rule
    commercial_status: CommercialOutcome | None = None
    license_known: bool | None = None  # declares a licence the knowledge base recognises
    known_from: KnownFrom | None = None  # crawled, or only listed

    def parameters(self) -> dict[str, Any]:
        """The Cypher parameters of the filters given (names from :data:`graph.statements.search.SEARCH_FILTERS`)."""
        for name in ("search", "author"):
            value = getattr(self, name)
            if value is not None and len(value) > MAX_SEARCH:
                raise InvalidArgument(f"{name} must be at most {MAX_SEARCH} characters")
        if self.rule is not None and self.rule not in RULES:
            raise InvalidArgument(f"unknown rule {self.rule!r}; rules are {', '.join(sorted(RULES))}")
        values = asdict(self)
        needle = (self.search or "").strip().lower()
        author = (self.author or "").strip().lower().rstrip("/")
        params: dict[str, Any] = {
            "needle": needle or None,
            "author_prefix": f"{author}/" if author else None,
            "license": values["license_id"],
            "relation": None if self.relation is None else (c.check_relations([self.relation]) or [None])[0],
            "has_conflict": self.has_conflict,
            "severity": None if self.severity is None else Severity(self.severity).value,
            "rule": self.rule,
            "commercial_status": None if self.commercial_status is None else CommercialOutcome(self.commercial_status).value,
            "license_known": self.license_known,
            "known_from": None if self.known_from is None else KnownFrom(self.known_from).value,
        }
        return {name: value for name, value in params.items() if value is not None}


def _after(after: PageKey | None, key: SortKey, descending: bool = True) -> dict[str, Any]:
    if key is SortKey.ID:  # a range on the id index (graph.statements.search): a first page starts at the end
        first = q.FIRST_ID_DESCENDING if descending else q.FIRST_ID_ASCENDING
        return {"after_key": None, "after_id": first if after is None else str(after[1])}
    if after is None:
        return {"after_key": None, "after_id": None}
    value, model_id = after
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument("the page cursor does not belong to this order")
    return {"after_key": value, "after_id": str(model_id)}


def plan_search(
    filters: ModelFilters = ModelFilters(),
    *,
    sort: SortKey = SortKey.ID,
    descending: bool | None = None,
    limit: int = 50,
    after: PageKey | None = None,
    with_total: bool = True,
) -> c.Plan[ModelPage]:
    """Models (current state) matching ``filters``, ordered by ``sort`` then id, a page after ``after``.

    ``descending`` defaults to ascending for ids and descending for every count and time.
    ``with_total``: also count every match (on the whole Hub a common term matches ~10⁵ models, and
    counting them costs more than the page; without it ``total`` is None).
    """
    check_limit(limit)
    sort = SortKey(sort)
    desc = (sort is not SortKey.ID) if descending is None else descending
    given = filters.parameters()
    count_statement, page_statement = q.search_statements(frozenset(given), sort, desc)
    counted = (yield c.Query(count_statement, given)) if with_total else None
    fixtures = list(configured_fixture_prefixes())  # not counted by the descendant-count order
    params = {**given, **_after(after, sort, desc), "limit": limit + 1, "fixture_prefixes": fixtures}
    rows = yield c.Query(page_statement, params)
    items = [f for f in (facts_from(r["model"], None) for r in rows[:limit]) if f is not None]
    next_after: PageKey | None = None
    if len(rows) > limit and items:
        last = rows[limit - 1]
        next_after = (last["sort_key"], str(last["model"]["id"]))
    return ModelPage(tuple(items), None if counted is None else int(counted[0]["total"]), next_after)


def plan_roots(*, limit: int = 50, after: PageKey | None = None, with_total: bool = True) -> c.Plan[RootPage]:
    """Models with no parent now, largest families first (then by id), a page after ``after``."""
    check_limit(limit)
    counted = (yield c.Query(q.ROOTS_COUNT, {})) if with_total else None
    fixtures = list(configured_fixture_prefixes())
    after_key = _after(after, SortKey.DESCENDANT_COUNT)
    rows = yield c.Query(q.ROOTS_PAGE, {**after_key, "limit": limit + 1, "fixture_prefixes": fixtures})
    out = []
    for r in rows[:limit]:
        facts = facts_from(r["model"], None)
        if facts is not None:
            out.append(RootEntry(facts, int(r["descendants"])))
    next_after: PageKey | None = None
    if len(rows) > limit and out:
        next_after = (out[-1].descendants, out[-1].model.id)
    return RootPage(tuple(out), None if counted is None else int(counted[0]["total"]), next_after)


def plan_descendant_counts(ids: Sequence[str]) -> c.Plan[dict[str, int]]:
    """How many models sit below each model now (any depth, open edges; fixtures not counted), by the key asked."""
    keys = sorted(set(ids))
    if not keys:
        return {}
    rows = yield c.Query(q.DESCENDANT_COUNTS, {"ids": keys, "fixture_prefixes": list(configured_fixture_prefixes())})
    return {str(r["key"]): int(r["descendants"]) for r in rows}
