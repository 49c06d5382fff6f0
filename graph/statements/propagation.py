"""Statements of the propagation store: the engine's input read from the graph, materialised results.

Reads (``graph.results.engine_input``) walk DERIVED_FROM level by level, one
``UNWIND $ids`` statement per level, in both directions; each has a *now* variant (open
versions) and an *as of* variant (versions valid at ``$as_of``), picked from closed choices
at import time. Writes (``graph.results.recompute``) set the flat ``eff_*`` properties
of many models in one ``UNWIND $rows`` statement. Aggregates
(``graph.results.aggregates``) group a family's members by their materialised
aggregation key so that a 50,000-model family comes back as a few hundred rows.
Times cross the driver as epoch microseconds (see :func:`graph.statements.reads.US`).
Aggregates leave out constructed fixture models (:func:`graph.statements.fixtures.not_fixture`, ``$fixture_prefixes``).
"""

from __future__ import annotations

from graph.statements.fixtures import not_fixture
from graph.statements.reads import RESOLVE, RESOLVE_KEYS, US, known_since_expr, project_facts

__all__ = [
    "ALL_GROUPS",
    "ANY_DIRTY",
    "CHILDREN_LEVEL",
    "CLEAR_RESULTS",
    "COUNT_MODELS",
    "FAMILY_GROUPS",
    "MATERIALISED_RESULTS",
    "MODEL_FACTS_WITH_RESULTS",
    "STORED_RESULT_COLUMNS",
    "MODEL_IDS_PAGE",
    "NODE_FACTS",
    "NODE_FACTS_BELOW",
    "RELICENSING_POINTS",
    "STALE_RESULTS",
    "WRITE_RESULTS",
]

_NOW = "{v}.valid_to IS NULL"
_AS_OF = "{v}.valid_from <= $as_of AND ({v}.valid_to IS NULL OR {v}.valid_to > $as_of)"


def _valid(var: str, as_of: bool) -> str:
    return (_AS_OF if as_of else _NOW).format(v=var)


def _children_level(as_of: bool) -> str:
    return f"""
UNWIND $ids AS id
MATCH (:Model {{id: id}})<-[r:DERIVED_FROM]-(c:Model)
WHERE {_valid('r', as_of)}
RETURN DISTINCT c.id AS id
"""


CHILDREN_LEVEL: dict[bool, str] = {as_of: _children_level(as_of) for as_of in (False, True)}
"""Direct children of ``$ids`` through edges valid now / at ``$as_of`` (one level of the downward walk)."""


# One model as the list the loader reads: [id, status, status_history, status_valid_from,
# first_seen (as of an instant: its known_since, see _EXISTS_FROM), name, pipeline_tag, tags,
# training_compute_flops, declarations, publishers, parents, deployments, params, params_source,
# license_recorded] (the parameter count is not versioned: as of an instant it is the count last
# seen; license_recorded is false only for a reference stub, the node's current value, also as of
# an earlier instant). *Now*, the licence and publisher in force are the node's own
# properties (the writer keeps them equal to the open DECLARES / PUBLISHED version) and no
# history is needed; *as of*, every versioned fact is read from its versions.
_ROW_NOW = """[m.id, m.status, null, null, null, m.name, m.pipeline_tag, m.tags, m.training_compute_flops,
  CASE WHEN m.declared_license IS NULL THEN [] ELSE [[m.declared_license, m.license_raw, m.license_name, null, null]] END,
  CASE WHEN m.author IS NULL THEN [] ELSE [m.author] END,
  [(m)-[r:DERIVED_FROM]->(p:Model) WHERE r.valid_to IS NULL | [p.id, r.relation, r.confidence, null, null]],
  [(d:Deployment)-[s:SERVES]->(m) | [d.id, d.kind, coalesce([(o:Party)-[:OPERATES]->(d) | o.id][0], d.operator)]], m.params, m.params_source,
  coalesce(m.license_recorded, true)]"""

# As of an instant, a model exists from its known_since (the earliest dated fact about it, versions dated
# by commit history included): the rule the reads apply (graph.reads.known_since).
_EXISTS_FROM = known_since_expr("m")

_ROW_AS_OF = (
    "[m.id, m.status, m.status_history, [t IN coalesce(m.status_valid_from, []) | " + US("t") + "], "
    + US(_EXISTS_FROM) + """, m.name, m.pipeline_tag, m.tags, m.training_compute_flops,
  [(m)-[d:DECLARES]->(l:License) WHERE """ + _valid("d", True) + """ |
   [l.id, d.raw, d.license_name, """ + US("d.valid_from") + ", " + US("d.valid_to") + """]],
  [(a:Party)-[v:PUBLISHED]->(m) WHERE """ + _valid("v", True) + """ | a.id],
  [(m)-[r:DERIVED_FROM]->(p:Model) WHERE """ + _valid("r", True) + """ |
   [p.id, r.relation, r.confidence, """ + US("r.valid_from") + ", " + US("r.valid_to") + """]],
  [(d:Deployment)-[s:SERVES]->(m) WHERE s.first_seen <= $as_of |
   [d.id, d.kind, coalesce([(o:Party)-[:OPERATES]->(d) | o.id][0], d.operator)]], m.params, m.params_source,
  coalesce(m.license_recorded, true)]"""
)

# Rows come back collected into one list per statement: a record per model would cost the
# driver more than the query (the lists decode in one go).
NODE_FACTS: dict[bool, str] = {
    as_of: "UNWIND $ids AS id\nMATCH (m:Model {id: id})\nRETURN collect(" + (_ROW_AS_OF if as_of else _ROW_NOW) + ") AS rows\n"
    for as_of in (False, True)
}
"""What the engine needs of each model of ``$ids`` (status, name, tags, licence declarations, publisher,
parent edges, deployments), now / at ``$as_of``: one level of the upward walk."""

NODE_FACTS_BELOW = (
    """UNWIND $ids AS id
MATCH (src:Model {id: id})
CALL (src) {
  RETURN src AS m
  UNION
  MATCH (m:Model)-[:HAS_ANCESTOR]->(src)
  RETURN m
}
WITH DISTINCT m
RETURN collect(""" + _ROW_NOW + """) AS rows
"""
)
"""The same rows (now) for ``$ids`` and every descendant, through the ancestry index in one statement."""

ANY_DIRTY = "MATCH (m:Model) WHERE m.closure_dirty = true RETURN m.id AS id LIMIT 1"
"""A model whose ancestry index awaits a rebuild (then descendants are found by walking the edges)."""

COUNT_MODELS = "MATCH (m:Model) RETURN count(m) AS n"

MODEL_IDS_PAGE = """
MATCH (m:Model)
WHERE $after IS NULL OR m.id > $after
WITH m ORDER BY m.id LIMIT $limit
RETURN m.id AS id
"""
"""Every model id in id order, a page at a time (the full recompute)."""

# $rows: [{id, props}] — props is a flat map of eff_* values; null values remove the property.
WRITE_RESULTS = """
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m += row.props, m.eff_computed_at = $computed_at
"""

# $ids: models whose result cannot be computed (not crawled, unavailable); $props: every eff_* key → null.
CLEAR_RESULTS = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
SET m += $props
"""

STORED_RESULT_COLUMNS = f"""m.id AS id, m.eff_version AS version, m.eff_store_version AS store_version,
       m.eff_kb_version AS kb_version, m.eff_json AS json, m.eff_conflict_state AS conflict_state,
       m.eff_dropped_terms AS dropped_terms, m.eff_violated_terms AS violated_terms,
       m.eff_relicensed_terms AS relicensed_terms, {US('m.eff_computed_at')} AS computed_at"""
"""The columns of a model ``m``'s stored propagation result (read by MATERIALISED_RESULTS and with facts)."""

MODEL_FACTS_WITH_RESULTS = RESOLVE_KEYS + f"""RETURN key, {project_facts('m', now=True)} AS model, {STORED_RESULT_COLUMNS}
"""
"""Current facts of each model named and its stored propagation result, in one read (a request that asks
for a model's terms or conflicts needs both)."""

MATERIALISED_RESULTS = RESOLVE_KEYS + f"""RETURN key, {STORED_RESULT_COLUMNS}
"""
"""The stored result of each model named (by id or old id); ``version`` null when never materialised."""

STALE_RESULTS = """
MATCH (m:Model)
WHERE NOT m.status IN ['unknown', 'unavailable']
  AND (m.eff_version IS NULL OR m.eff_version <> $version OR coalesce(m.eff_store_version, -1) <> $store_version
       OR coalesce(m.eff_kb_version, '') <> $kb_version)
RETURN m.id AS id
ORDER BY id
LIMIT $limit
"""
"""Models whose stored result is missing or was made by another result format or knowledge base."""

_GROUP = (
    "[key, n, one.eff_licenses, one.eff_terms, one.eff_dropped_terms, one.eff_violated_terms, "
    "one.eff_conflict_rules, one.eff_conflict_state, one.eff_commercial_status]"
)

# Descendants of a root (from the ancestry index; $id may be an old id) grouped by their
# aggregation key, with the grouped values read from one member of each group (a 50,000-model
# family is a few thousand groups). Members without a result (not crawled, not yet
# materialised) form the group with a null key. HAS_ANCESTOR only links models, so the
# members' label is not checked. Fixture models are left out.
FAMILY_GROUPS = (
    RESOLVE
    + """
CALL (m) {
  MATCH (x)-[:HAS_ANCESTOR]->(m)
  WHERE """ + not_fixture("x") + """
  WITH x.eff_agg_key AS key, count(*) AS n, collect(x)[0] AS one
  RETURN collect("""
    + _GROUP
    + """) AS groups
}
WITH m, groups, m AS one, m.eff_agg_key AS key, 1 AS n
RETURN m.id AS id, groups, """
    + _GROUP
    + """ AS root
"""
)

# Every materialised model of the graph grouped the same way (graph-wide reach of a licence or term),
# fixture models left out.
ALL_GROUPS = """
MATCH (x:Model)
WHERE x.eff_agg_key IS NOT NULL AND """ + not_fixture("x") + """
WITH x.eff_agg_key AS key, count(*) AS n, collect(x)[0] AS one
RETURN """ + _GROUP + """ AS g
"""

# Models of a family (the root and its descendants) where a term is newly dropped, with the
# number of models at and below each and the parents it left; fixture models are neither points nor counted.
RELICENSING_POINTS = RESOLVE + """
CALL (m) {
  RETURN m AS x
  UNION
  MATCH (x:Model)-[:HAS_ANCESTOR]->(m)
  WHERE x.eff_relicensed_terms IS NOT NULL
  RETURN x
}
WITH x WHERE x.eff_relicensed_terms IS NOT NULL AND """ + not_fixture("x") + """
WITH x, 1 + COUNT { MATCH (x)<-[:HAS_ANCESTOR]-(y) WHERE """ + not_fixture("y") + """ } AS downstream
ORDER BY downstream DESC, x.id
LIMIT $limit
RETURN x.id AS id, x.declared_license AS license, x.eff_relicensed_terms AS terms, downstream,
       [(x)-[d:DERIVED_FROM]->(p:Model) WHERE d.valid_to IS NULL | [p.id, p.declared_license, d.relation]] AS parents
"""
