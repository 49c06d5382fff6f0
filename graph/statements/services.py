"""Read statements of the async services (``graph.services``) behind the API.

Batched by design: each takes ``$ids`` / ``$keys`` lists so that one statement answers a whole
page of GraphQL rows (the API's DataLoaders collect the keys). A model is projected with
:data:`FACTS` — what :func:`graph.reads.convert.model_ref` needs plus the descriptive facts
and the materialised propagation summary (``eff_*``, absent until materialised). Variants
that differ only by "open now" versus "valid at ``$as_of``" are built from closed choices at
import time; every value is a parameter.
"""

from __future__ import annotations

from graph.statements.propagation import STORED_RESULT_COLUMNS
from graph.statements.reads import EDGE_PROJECTION, MODEL_PROJECTION, MODEL_PROJECTION_NOW, RESOLVE, US

__all__ = [
    "CHILDREN_PAGE",
    "EDGES_AMONG",
    "FACTS",
    "FACTS_NOW",
    "FAMILY_DEPLOYMENTS",
    "FAMILY_DRAW",
    "FAMILY_MEMBERS",
    "HISTORY",
    "LICENSE_MEMBERS",
    "LICENSE_SOURCES",
    "MATERIALISED",
    "MODEL_FACTS",
    "MODEL_FACTS_WITH_RESULTS",
    "PARENTS_PAGE",
    "ROOTS",
    "SEARCH_COUNT",
    "SEARCH_PAGE",
    "project",
]

# The shared projection of graph.reads plus descriptive facts and the materialised summary
# (times as epoch microseconds, like every read statement: see graph.statements.reads.US).
_EXTRA = (
    ", .name, .hub, .license_raw, .license_name, .license_link, .pipeline_tag, .library, "
    "created_at: " + US("{v}.created_at") + ", last_modified: " + US("{v}.last_modified") + ", "
    ".sha, .downloads, .likes, .params, .training_compute_flops, .tags, "
    ".eff_version, .eff_store_version, .eff_kb_version, .eff_conflict_state}}"
)
FACTS = MODEL_PROJECTION[:-2] + _EXTRA
FACTS_NOW = MODEL_PROJECTION_NOW[:-2] + _EXTRA
"""For current reads: no version histories (the licence in force is the ``declared_license`` property)."""


def project(var: str, now: bool = False) -> str:
    """``var {…}``: the FACTS map (or FACTS_NOW for current reads) of the node bound to ``var``."""
    return var + " " + (FACTS_NOW if now else FACTS).format(v=var)


_NOW = "r.valid_to IS NULL"
_AS_OF = "r.valid_from <= $as_of AND (r.valid_to IS NULL OR r.valid_to > $as_of)"


def _valid(as_of: bool) -> str:
    return _AS_OF if as_of else _NOW


# keys may be current ids or old ids (aliases); rows come back keyed by what was asked
MODEL_FACTS: dict[bool, str] = {
    as_of: f"""
UNWIND $ids AS key
OPTIONAL MATCH (direct:Model {{id: key}})
OPTIONAL MATCH (:ModelAlias {{id: key}})-[:ALIAS_OF]->(aliased:Model)
WITH key, coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
RETURN key, {project('m', now=not as_of)} AS model
"""
    for as_of in (False, True)
}
"""Facts of each model named; keyed by "is an as-of read" (current reads skip the version histories)."""

MODEL_FACTS_WITH_RESULTS = f"""
UNWIND $ids AS key
OPTIONAL MATCH (direct:Model {{id: key}})
OPTIONAL MATCH (:ModelAlias {{id: key}})-[:ALIAS_OF]->(aliased:Model)
WITH key, coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
RETURN key, {project('m', now=True)} AS model, {STORED_RESULT_COLUMNS}
"""
"""Current facts of each model named and its stored propagation result, in one read (a request that asks
for a model's terms or conflicts needs both)."""

# The materialised propagation result of each model (full detail as JSON), by current id.
MATERIALISED = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
RETURN id, m.eff_version AS version, m.eff_json AS json
"""

_SEARCH_WHERE = """
MATCH (m:Model)
WHERE ($needle IS NULL OR toLower(m.id) CONTAINS $needle)
  AND ($license IS NULL OR m.declared_license = $license)
  AND ($author IS NULL OR m.author = $author)
  AND ($relation IS NULL OR EXISTS {
        MATCH (m)-[r:DERIVED_FROM]->(:Model) WHERE r.valid_to IS NULL AND r.relation = $relation })
  AND ($has_conflict IS NULL OR (coalesce(m.eff_conflict_state, 'none') <> 'none') = $has_conflict)
"""

SEARCH_PAGE = (
    _SEARCH_WHERE
    + f"""
  AND ($after IS NULL OR m.id > $after)
WITH m ORDER BY m.id LIMIT $limit
RETURN {project('m', now=True)} AS model
"""
)

SEARCH_COUNT = _SEARCH_WHERE + "RETURN count(m) AS total\n"

# Models without an open parent edge, largest families first.
ROOTS = f"""
MATCH (m:Model)
WHERE NOT EXISTS {{ MATCH (m)-[r:DERIVED_FROM]->(:Model) WHERE r.valid_to IS NULL }}
WITH m, COUNT {{ (m)<-[:HAS_ANCESTOR]-(:Model) }} AS descendants
ORDER BY descendants DESC, m.id
LIMIT $limit
RETURN {project('m', now=True)} AS model, descendants
"""


def _page(direction: str, as_of: bool) -> str:
    pattern = "(m)-[r:DERIVED_FROM]->(o:Model)" if direction == "parents" else "(o:Model)-[r:DERIVED_FROM]->(m)"
    return f"""
UNWIND $ids AS id
MATCH (m:Model {{id: id}})
CALL (m) {{
  MATCH {pattern}
  WHERE {_valid(as_of)} AND ($relation IS NULL OR r.relation = $relation)
  RETURN count(r) AS total
}}
CALL (m) {{
  MATCH {pattern}
  WHERE {_valid(as_of)} AND ($relation IS NULL OR r.relation = $relation) AND ($after IS NULL OR o.id > $after)
  WITH r, o ORDER BY o.id LIMIT $limit
  RETURN collect({{other: o.id, props: {EDGE_PROJECTION}}}) AS edges
}}
RETURN id, total, edges
"""


PARENTS_PAGE: dict[bool, str] = {as_of: _page("parents", as_of) for as_of in (False, True)}
"""Parents of each model (``$ids``), a page each; keyed by "is an as-of read"."""

CHILDREN_PAGE: dict[bool, str] = {as_of: _page("children", as_of) for as_of in (False, True)}
"""Children of each model (``$ids``), a page each; keyed by "is an as-of read"."""

HISTORY = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
RETURN id, m.status_history AS status_history, m.status_valid_from AS status_valid_from,
       m.gate_history AS gate_history, m.gate_valid_from AS gate_valid_from,
       [(m)-[d:DECLARES]->(l:License) | {value: l.id, valid_from: d.valid_from, valid_to: d.valid_to,
        source_url: d.source_url, revision: d.revision, observed_at: d.first_seen, run: d.last_run}] AS licenses,
       [(m)-[r:DERIVED_FROM]->(p:Model) | {value: p.id, relation: r.relation, valid_from: r.valid_from,
        valid_to: r.valid_to, source_url: r.source_url, revision: r.revision, observed_at: r.first_seen,
        run: r.last_run}] AS bases,
       [(a:Party)-[v:PUBLISHED]->(m) | {value: a.id, valid_from: v.valid_from, valid_to: v.valid_to,
        source_url: v.source_url, revision: v.revision, observed_at: v.first_seen, run: v.last_run}] AS publishers
"""


# Members of a family from the ancestry index: the root (depth 0) and every descendant.
FAMILY_MEMBERS = (
    RESOLVE
    + """
CALL (m) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(m)
  RETURN collect([x.id, k.depth, k.relation]) AS rows
}
RETURN m.id AS root, rows
"""
)

# Open DERIVED_FROM edges among a set of models (for drawing a family).
EDGES_AMONG = """
UNWIND $ids AS id
MATCH (c:Model {id: id})-[r:DERIVED_FROM]->(p:Model)
WHERE r.valid_to IS NULL AND p.id IN $ids
RETURN c.id AS child, p.id AS parent, r.relation AS relation
"""

# A family's members nearest first (the root, then the ancestry index in key order: depth, id),
# with what a drawing shows of each.
FAMILY_DRAW = (
    RESOLVE
    + """
CALL (m) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(:Model)
  WHERE k.key > m.id + $sep AND k.key < m.id + $hi
  WITH x, k ORDER BY k.key LIMIT $limit
  RETURN collect([x.id, k.depth, x.declared_license, x.status, x.eff_conflict_state]) AS rows
}
RETURN [m.id, 0, m.declared_license, m.status, m.eff_conflict_state] AS root, rows
"""
)

# Deployments serving a family's root or descendants, nearest first, capped; with the total.
# Descendants without any SERVES relationship are skipped by their degree (5x fewer db hits on a
# 44k-model family than expanding SERVES from every descendant).
FAMILY_DEPLOYMENTS = (
    RESOLVE
    + """
CALL (m) {
  MATCH (d:Deployment)-[s:SERVES]->(m)
  RETURN d, s, m AS x, 0 AS depth
  UNION ALL
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(m)
  WHERE COUNT { (x)<-[:SERVES]-() } > 0
  MATCH (d:Deployment)-[s:SERVES]->(x)
  RETURN d, s, x, k.depth AS depth
}
WITH d, s, x, depth ORDER BY depth, x.id, d.id
WITH collect({d: d, s: s, model: x.id, depth: depth}) AS found
WITH size(found) AS total, found[0..$limit] AS page
CALL (page) {
  UNWIND page AS row
  WITH row, row.d AS d, row.s AS s
  RETURN collect({id: d.id, kind: d.kind, status: d.status, url: d.url,
                  operator: coalesce([(o:Party)-[:OPERATES]->(d) | o.id][0], d.operator), model_id: row.model,
                  depth: row.depth, first_seen: """ + US("s.first_seen") + """, last_seen: """ + US("s.last_seen") + """}) AS rows
}
RETURN total, rows
"""
)

# Models declaring one of $licenses now / at $as_of.
LICENSE_SOURCES: dict[bool, str] = {
    False: """
UNWIND $licenses AS lic
MATCH (m:Model {declared_license: lic})
RETURN DISTINCT m.id AS id
""",
    True: """
UNWIND $licenses AS lic
MATCH (m:Model)-[r:DECLARES]->(:License {id: lic})
WHERE r.valid_from <= $as_of AND (r.valid_to IS NULL OR r.valid_to > $as_of)
RETURN DISTINCT m.id AS id
""",
}

# Descendants of a set of source models from the ancestry index (current reads only).
LICENSE_MEMBERS = """
UNWIND $ids AS id
MATCH (x:Model)-[k:HAS_ANCESTOR]->(:Model {id: id})
RETURN x.id AS id, min(k.depth) AS depth
"""
