"""``models(...)`` and ``roots(...)``: one condition per filter given, one order per sort key, keyset pages.

Each filter is a fixed Cypher condition over ``m`` whose values are parameters; only the names of
the filters given choose the text, so the planner can answer the search text and the author from
the trigram text index on ``search_id`` (the lower-cased id) and a licence from its range index.
Conditions on propagation results read the stored ``eff_*`` properties
(:meth:`terms.propagation.result.PropagationResult.to_properties`): a model without a stored
result has no conflict, no rule and no commercial status to match.

A page is ordered by its sort key, then by id, and continues after the last row's ``(key, id)``:
a keyset, so a page costs the same at any depth and a model appearing between two requests does
not shift the rows. Unknown values (a model without downloads or dates) sort last either way.
"""

from __future__ import annotations

import enum
from functools import lru_cache

from graph.statements.fixtures import not_fixture
from graph.statements.reads import RESOLVE_KEYS, project_facts  # the one FACTS projection

__all__ = [
    "DESCENDANT_COUNT",
    "DESCENDANT_COUNTS",
    "FIRST_ID_ASCENDING",
    "FIRST_ID_DESCENDING",
    "ROOTS_COUNT",
    "ROOTS_PAGE",
    "SEARCH_FILTERS",
    "SortKey",
    "search_statements",
]

DESCENDANT_COUNT = f"COUNT {{ MATCH (m)<-[:HAS_ANCESTOR]-(x:Model) WHERE {not_fixture('x')} }}"
"""Cypher: the models below ``m`` at any depth, from the ancestry index (open edges only); constructed
fixtures (``$fixture_prefixes``, :mod:`graph.statements.fixtures`) are not counted."""


class SortKey(enum.StrEnum):
    """What a page of models is ordered by (then by id)."""

    ID = "id"
    DOWNLOADS = "downloads"
    LIKES = "likes"
    CREATED = "created"
    LAST_MODIFIED = "last_modified"
    DESCENDANT_COUNT = "descendant_count"


# The key of each order as an integer (times as epoch milliseconds); null stays null here and is
# replaced by a sentinel that sorts it last (see _keyed).
_SORT_VALUES: dict[SortKey, str] = {
    SortKey.DOWNLOADS: "m.downloads",
    SortKey.LIKES: "m.likes",
    SortKey.CREATED: "m.created_at.epochMillis",
    SortKey.LAST_MODIFIED: "m.last_modified.epochMillis",
    SortKey.DESCENDANT_COUNT: DESCENDANT_COUNT,
}
LAST_ASCENDING = 2**62
"""The key of an unknown value in an ascending order (after every real value)."""
LAST_DESCENDING = -1
"""The key of an unknown value in a descending order (counts and times are never negative)."""

_SEARCH_CONDITIONS = {
    "needle": "m.search_id CONTAINS $needle",
    "author_prefix": "m.search_id STARTS WITH $author_prefix",
    "license": "m.declared_license = $license",
    "relation": "EXISTS { MATCH (m)-[r:DERIVED_FROM]->(:Model) WHERE r.valid_to IS NULL AND r.relation = $relation }",
    # an info finding is not a conflict: only warnings and violations count
    "has_conflict": "(coalesce(m.eff_conflict_state, 'none') IN ['warning', 'violation']) = $has_conflict",
    "severity": "coalesce(CASE $severity WHEN 'violation' THEN m.eff_violations WHEN 'warning' THEN m.eff_warnings "
    "WHEN 'info' THEN m.eff_infos END, 0) > 0",
    "rule": "$rule IN coalesce(m.eff_rules, [])",
    "commercial_status": "m.eff_commercial_status = $commercial_status",
    # known: a licence is recorded, declared and recognised by the knowledge base
    "license_known": "(m.declared_license IS NOT NULL AND m.declared_license <> 'unknown' "
    "AND coalesce(m.license_recorded, true)) = $license_known",
    "known_from": "CASE WHEN m.crawled_at IS NOT NULL THEN 'crawled' WHEN m.listed_at IS NOT NULL THEN 'listed' END "
    "= $known_from",
}
SEARCH_FILTERS: tuple[str, ...] = tuple(_SEARCH_CONDITIONS)
"""The parameter names of the filters :func:`search_statements` knows."""


def _where(filters: frozenset[str]) -> str:
    unknown = filters - set(_SEARCH_CONDITIONS)
    if unknown:
        raise ValueError(f"unknown search filters: {sorted(unknown)}")
    conditions = [text for name, text in _SEARCH_CONDITIONS.items() if name in filters]
    return "MATCH (m:Model)\n" + ("WHERE " + "\n  AND ".join(conditions) + "\n" if conditions else "")


def _keyed(key: SortKey, descending: bool) -> str:
    """``WITH m, <key> AS sort_key``, then the keyset condition and the order (``$after_key``, ``$after_id``)."""
    sentinel = LAST_DESCENDING if descending else LAST_ASCENDING
    before, order = ("<", "DESC") if descending else (">", "ASC")
    return (
        f"WITH m, coalesce({_SORT_VALUES[key]}, {sentinel}) AS sort_key\n"
        f"WHERE $after_id IS NULL OR sort_key {before} $after_key OR (sort_key = $after_key AND m.id > $after_id)\n"
        f"WITH m, sort_key ORDER BY sort_key {order}, m.id LIMIT $limit\n"
    )


FIRST_ID_ASCENDING = ""
"""``$after_id`` of a first page in id order: every id sorts after it."""
FIRST_ID_DESCENDING = "\U0010ffff"
"""``$after_id`` of a first page in descending id order: every id sorts before it."""


def _by_id(descending: bool) -> str:
    # a plain range condition on m.id (no "IS NULL OR"), so that the planner can walk the id index in
    # order and stop after a page instead of sorting every match
    before, order = ("<", "DESC") if descending else (">", "ASC")
    return f"WITH m WHERE m.id {before} $after_id\nWITH m, m.id AS sort_key ORDER BY sort_key {order} LIMIT $limit\n"


@lru_cache(maxsize=None)
def search_statements(filters: frozenset[str], key: SortKey = SortKey.ID, descending: bool = False) -> tuple[str, str]:
    """(count, page) statements of a search with these filters given (names from :data:`SEARCH_FILTERS`).

    The page returns ``model`` (its FACTS projection, current) and ``sort_key`` for the next cursor.
    """
    where = _where(filters)
    order = _by_id(descending) if key is SortKey.ID else _keyed(key, descending)
    page = where + order + f"RETURN {project_facts('m', now=True)} AS model, sort_key\n"
    return where + "RETURN count(m) AS total\n", page


_ROOT_MATCH = "MATCH (m:Model)\nWHERE NOT EXISTS { MATCH (m)-[r:DERIVED_FROM]->(:Model) WHERE r.valid_to IS NULL }\n"


def _roots_page() -> str:
    return (
        _ROOT_MATCH
        + f"WITH m, {DESCENDANT_COUNT} AS descendants\n"
        "WHERE $after_id IS NULL OR descendants < $after_key OR (descendants = $after_key AND m.id > $after_id)\n"
        "WITH m, descendants ORDER BY descendants DESC, m.id LIMIT $limit\n"
        f"RETURN {project_facts('m', now=True)} AS model, descendants\n"
    )


ROOTS_PAGE = _roots_page()
"""Models without an open parent edge, largest families first (then by id), after ``($after_key, $after_id)``."""

ROOTS_COUNT = _ROOT_MATCH + "RETURN count(m) AS total\n"
"""How many models have no open parent edge."""

DESCENDANT_COUNTS = RESOLVE_KEYS + f"RETURN key, {DESCENDANT_COUNT} AS descendants\n"
"""How many models sit below each of ``$ids`` (current ids or old ids), keyed by what was asked."""
