"""Statements of the propagation store: the engine's input read from the graph, materialised results.

Reads (``graph.propagation.lineage_loader``) walk DERIVED_FROM level by level, one
``UNWIND $ids`` statement per level, in both directions; each has a *now* variant (open
versions) and an *as of* variant (versions valid at ``$as_of``), picked from closed choices
at import time. Writes (``graph.propagation.materialise``) set the flat ``eff_*`` properties
of many models in one ``UNWIND $rows`` statement. Aggregates
(``graph.propagation.aggregates``) group a family's members by their materialised
aggregation key so that a 50,000-model family comes back as a few hundred rows.
Times cross the driver as epoch microseconds (see :func:`graph.statements.reads.US`).
"""

from __future__ import annotations

from graph.statements.reads import RESOLVE, US

__all__ = [
    "ALL_GROUPS",
    "CHILDREN_LEVEL",
    "CLEAR_RESULTS",
    "COUNT_MODELS",
    "FAMILY_GROUPS",
    "MATERIALISED_RESULTS",
    "MODEL_IDS_PAGE",
    "NODE_FACTS",
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


def _node_facts(as_of: bool) -> str:
    deployed = "s.first_seen <= $as_of" if as_of else "true"
    return f"""
UNWIND $ids AS id
MATCH (m:Model {{id: id}})
RETURN m.id AS id, m.status AS status, m.status_history AS status_history,
       [t IN coalesce(m.status_valid_from, []) | {US('t')}] AS status_valid_from,
       {US('m.first_seen')} AS first_seen,
       m.name AS name, m.pipeline_tag AS pipeline_tag, m.tags AS tags,
       m.training_compute_flops AS training_compute_flops,
       [(m)-[d:DECLARES]->(l:License) WHERE {_valid('d', as_of)} |
        [l.id, d.raw, d.license_name, {US('d.valid_from')}, {US('d.valid_to')}]] AS declarations,
       [(m)-[r:DERIVED_FROM]->(p:Model) WHERE {_valid('r', as_of)} |
        [p.id, r.relation, r.confidence, {US('r.valid_from')}, {US('r.valid_to')}]] AS parents,
       [(a:Party)-[v:PUBLISHED]->(m) WHERE {_valid('v', as_of)} | a.id] AS publishers,
       [(d:Deployment)-[s:SERVES]->(m) WHERE {deployed} |
        [d.id, d.kind, coalesce([(o:Party)-[:OPERATES]->(d) | o.id][0], d.operator)]] AS deployments
"""


NODE_FACTS: dict[bool, str] = {as_of: _node_facts(as_of) for as_of in (False, True)}
"""What the engine needs of each model of ``$ids``: status, name, tags, declarations, parent edges,
publisher and deployments, each version valid now / at ``$as_of`` (one level of the upward walk)."""

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

MATERIALISED_RESULTS = f"""
UNWIND $ids AS key
OPTIONAL MATCH (direct:Model {{id: key}})
OPTIONAL MATCH (:ModelAlias {{id: key}})-[:ALIAS_OF]->(aliased:Model)
WITH key, coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
RETURN key, m.id AS id, m.eff_version AS version, m.eff_store_version AS store_version, m.eff_kb_version AS kb_version, m.eff_json AS json,
       m.eff_conflict_state AS conflict_state, m.eff_dropped_terms AS dropped_terms,
       m.eff_violated_terms AS violated_terms, m.eff_relicensed_terms AS relicensed_terms,
       {US('m.eff_computed_at')} AS computed_at
"""
"""The stored result of each model named (by id or old id); ``version`` null when never materialised."""

STALE_RESULTS = """
MATCH (m:Model)
WHERE NOT m.status IN ['unknown', 'unavailable']
  AND (m.eff_version IS NULL OR m.eff_version <> $version OR m.eff_store_version <> $store_version
       OR m.eff_kb_version <> $kb_version)
RETURN m.id AS id
ORDER BY id
LIMIT $limit
"""
"""Models whose stored result is missing or was made by another result format or knowledge base."""

_GROUP = (
    "[key, depth, n, one.eff_licenses, one.eff_terms, one.eff_dropped_terms, one.eff_violated_terms, "
    "one.eff_conflict_rules, one.eff_conflict_state, one.eff_commercial_status]"
)

# Descendants of a root (from the ancestry index; $id may be an old id) grouped by their
# aggregation key and depth, with the grouped values read from one member of each group.
# Members without a result (not crawled, not yet materialised) form groups with a null key.
FAMILY_GROUPS = (
    RESOLVE
    + """
CALL (m) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(m)
  WITH x.eff_agg_key AS key, k.depth AS depth, count(*) AS n, collect(x)[0] AS one
  RETURN collect("""
    + _GROUP
    + """) AS groups
}
WITH m, groups, m AS one, m.eff_agg_key AS key, 0 AS depth, 1 AS n
RETURN m.id AS id, groups, """
    + _GROUP
    + """ AS root
"""
)

# Every materialised model of the graph grouped the same way (graph-wide reach of a licence or term).
ALL_GROUPS = """
MATCH (x:Model)
WHERE x.eff_agg_key IS NOT NULL
WITH x.eff_agg_key AS key, 0 AS depth, count(*) AS n, collect(x)[0] AS one
RETURN """ + _GROUP + """ AS g
"""

# Models of a family (the root and its descendants) where a term is newly dropped, with the
# number of models at and below each (the ancestry index degree) and the parents it left.
RELICENSING_POINTS = RESOLVE + """
CALL (m) {
  RETURN m AS x
  UNION
  MATCH (x:Model)-[:HAS_ANCESTOR]->(m)
  WHERE x.eff_relicensed_terms IS NOT NULL
  RETURN x
}
WITH x WHERE x.eff_relicensed_terms IS NOT NULL
WITH x, 1 + COUNT { (x)<-[:HAS_ANCESTOR]-() } AS downstream
ORDER BY downstream DESC, x.id
LIMIT $limit
RETURN x.id AS id, x.declared_license AS license, x.eff_relicensed_terms AS terms, downstream,
       [(x)-[d:DERIVED_FROM]->(p:Model) WHERE d.valid_to IS NULL | [p.id, p.declared_license, d.relation]] AS parents
"""
