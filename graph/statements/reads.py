"""Read statements of :mod:`graph.reads`. ``$id`` may be a model id or an alias; every statement resolves it first.

Two variants of each traversal: *current* (open versions only, and the HAS_ANCESTOR index
where it helps) and *as of* ``$as_of`` (versions valid at that instant); variants are built
from closed choices at import time. Depth bounds are put into statement text only by
:func:`ancestors_statement` and friends from integers that :mod:`graph.reads` has validated;
everything else is a parameter.
"""

from __future__ import annotations

from functools import lru_cache

from graph.statements.fixtures import not_fixture

__all__ = [
    "known_since_expr",
    "BY_FILE",
    "CHILDREN_PAGE",
    "DEPLOYMENTS_OF",
    "DESCENDANTS_INDEX_PAGE",
    "DESCENDANTS_INDEX_TOTAL",
    "DESCENDANTS_INDEX_TOTAL_FILTERED",
    "DESCENDANT_IDS",
    "EDGES_AMONG",
    "EDGE_PROJECTION",
    "FACTS",
    "FACTS_NOW",
    "FAMILY_DEPLOYMENTS",
    "FAMILY_DRAW",
    "FAMILY_INDEX",
    "FAMILY_MEMBERS",
    "HISTORY",
    "LICENSE_MEMBERS",
    "LICENSE_SOURCES",
    "MODELS_BY_ID",
    "MODEL_FACTS",
    "MODEL_NODE",
    "MODEL_PROJECTION",
    "MODEL_PROJECTION_NOW",
    "PARENTS_PAGE",
    "RESOLVE",
    "RESOLVE_KEYS",
    "MODEL_NODE_AS_OF",
    "US",
    "ancestors_statement",
    "descendants_walk_statement",
    "project_facts",
]

RESOLVE = """
OPTIONAL MATCH (direct:Model {id: $id})
OPTIONAL MATCH (:ModelAlias {id: $id})-[:ALIAS_OF]->(aliased:Model)
WITH coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
"""

RESOLVE_KEYS = """
UNWIND $ids AS key
OPTIONAL MATCH (direct:Model {id: key})
OPTIONAL MATCH (:ModelAlias {id: key})-[:ALIAS_OF]->(aliased:Model)
WITH key, coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
"""
"""Each of ``$ids`` (a current id or an old id) bound as ``key`` to its model ``m``; keys the graph does not hold drop out."""

def US(expr: str) -> str:  # noqa: N802 - reads like a Cypher function
    """Cypher for a datetime as epoch microseconds (null stays null).

    Reads return times as integers: the driver's conversion of temporal values costs
    ~50-100 µs each in Python, more than the query itself for a page of models.
    """
    return f"({expr}).epochSeconds * 1000000 + ({expr}).microsecond"


def known_since_expr(v: str) -> str:
    """Cypher: the earliest dated fact of the model bound to ``v`` (a datetime, or null when none)."""
    starts = (
        f"[{v}.first_seen] + coalesce({v}.status_valid_from, []) + coalesce({v}.gate_valid_from, [])"
        f" + [({v})-[d:DECLARES]->(:License) | d.valid_from]"
        f" + [(:Party)-[p:PUBLISHED]->({v}) | p.valid_from]"
        f" + [({v})-[r:DERIVED_FROM]-(:Model) | r.valid_from]"
    )
    return f"reduce(s = null, t IN {starts} | CASE WHEN t IS NULL OR (s IS NOT NULL AND s <= t) THEN s ELSE t END)"


def _us_list(expr: str) -> str:
    return f"[t IN coalesce({expr}, []) | {US('t')}]"


# A model projected with what ModelRef needs, including its licence versions.
MODEL_PROJECTION = (
    "{{.id, .status, .status_history, .gated, .gate_history, "
    ".author, .aliases, .stale, .last_run, .source_url, .revision, .declared_license, "
    "status_valid_from: " + _us_list("{v}.status_valid_from") + ", "
    "gate_valid_from: " + _us_list("{v}.gate_valid_from") + ", "
    "first_seen: " + US("{v}.first_seen") + ", last_seen: " + US("{v}.last_seen") + ", "
    "licenses: [({v})-[d:DECLARES]->(l:License) | [l.id, " + US("d.valid_from") + ", " + US("d.valid_to") + "]]}}"
)

# A DERIVED_FROM relationship ``r`` projected for LineageEdge.
EDGE_PROJECTION = (
    "r {.relation, .confidence, .last_run, .source_url, .revision, .evidence, "
    "valid_from: " + US("r.valid_from") + ", valid_to: " + US("r.valid_to") + ", "
    "first_seen: " + US("r.first_seen") + ", last_seen: " + US("r.last_seen") + "}"
)


# Current reads need no histories: status, gate and licence in force now are plain properties.
MODEL_PROJECTION_NOW = (
    "{{.id, .status, .gated, .author, .aliases, .stale, .last_run, .source_url, .revision, .declared_license, "
    "first_seen: " + US("{v}.first_seen") + ", last_seen: " + US("{v}.last_seen") + "}}"
)


def _project(var: str, now: bool = False) -> str:
    return var + " " + (MODEL_PROJECTION_NOW if now else MODEL_PROJECTION).format(v=var)


_VALID_NOW = "r.valid_to IS NULL"
_VALID_AS_OF = "r.valid_from <= $as_of AND (r.valid_to IS NULL OR r.valid_to > $as_of)"


def _valid(as_of: bool) -> str:
    return _VALID_AS_OF if as_of else _VALID_NOW

MODEL_NODE = RESOLVE + f"RETURN {_project('m')} AS model"
MODEL_NODE_AS_OF = RESOLVE + (
    f"WITH m, {known_since_expr('m')} AS since RETURN {_project('m')} AS model, {US('since')} AS known_since"
)
"""MODEL_NODE with the model's known_since (epoch µs or null), for reads as of an instant."""

MODELS_BY_ID = f"""
UNWIND $ids AS id
MATCH (m:Model {{id: id}})
RETURN {_project('m')} AS model
"""


@lru_cache(maxsize=64)
def ancestors_statement(depth: int, as_of: bool) -> str:
    """Every DERIVED_FROM version valid now / at $as_of on paths of at most ``depth`` edges up from $id."""
    if not 1 <= depth <= 65:
        raise ValueError("depth out of range")
    valid = _VALID_AS_OF if as_of else _VALID_NOW
    return (
        RESOLVE
        + f"""
OPTIONAL MATCH p = (m)-[:DERIVED_FROM*1..{int(depth)}]->(:Model)
WHERE all(r IN relationships(p) WHERE {valid})
WITH m, collect(DISTINCT last(relationships(p))) AS rels
RETURN {_project('m', not as_of)} AS model,
       [r IN rels | {{child: startNode(r).id, parent: endNode(r).id, props: {EDGE_PROJECTION},
                      node: [n IN [endNode(r)] | {_project('n', not as_of)}][0]}}] AS edges
"""
    )


@lru_cache(maxsize=64)
def descendants_walk_statement(depth: int, as_of: bool, skip_fixtures: bool = False) -> str:
    """Descendants of $id by walking DERIVED_FROM versions (for ``as_of`` reads): id, depth, relation;
    with ``skip_fixtures``, none under ``$fixture_prefixes`` (for statistics)."""
    if not 1 <= depth <= 64:
        raise ValueError("depth out of range")
    valid = _VALID_AS_OF if as_of else _VALID_NOW
    skip = f" AND {not_fixture('x')}" if skip_fixtures else ""
    return (
        RESOLVE
        + f"""
MATCH p = (x:Model)-[:DERIVED_FROM*1..{int(depth)}]->(m)
WHERE x <> m AND all(r IN relationships(p) WHERE {valid}){skip}
WITH m, x, length(p) AS depth, relationships(p)[0].relation AS relation
ORDER BY depth, relation
WITH m, x, collect([depth, relation])[0] AS best
RETURN m.id AS root, x.id AS id, best[0] AS depth, best[1] AS relation
"""
    )


# Descendants from the ancestry index, in key order (ancestor id, depth, descendant id):
# one round trip for the page and the unfiltered total (the node's HAS_ANCESTOR degree).
# $after: the last key of the previous page or null; $hi_suffix bounds the depth.
DESCENDANTS_INDEX_PAGE = (
    RESOLVE
    + """
WITH m, m.id + $sep AS prefix, COUNT { (m)<-[:HAS_ANCESTOR]-() } AS degree
CALL (m, prefix) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(:Model)
  WHERE k.key > coalesce($after, prefix) AND k.key < m.id + $hi_suffix
        AND ($relations IS NULL OR k.relation IN $relations)
  WITH x, k ORDER BY k.key LIMIT $limit
  RETURN collect({key: k.key, depth: k.depth, relation: k.relation, model: """
    + _project("x", now=True)
    + """}) AS items
}
RETURN m.id AS root, degree, items
"""
)

DESCENDANTS_INDEX_TOTAL = RESOLVE + "RETURN m.id AS root, COUNT { (m)<-[:HAS_ANCESTOR]-() } AS total"

DESCENDANTS_INDEX_TOTAL_FILTERED = """
MATCH ()-[k:HAS_ANCESTOR]->()
WHERE k.key > $lo AND k.key < $hi AND ($relations IS NULL OR k.relation IN $relations)
RETURN count(k) AS total
"""

# Family sizes by depth and relation (fixture models under $fixture_prefixes not counted).
FAMILY_INDEX = (
    RESOLVE
    + """
OPTIONAL MATCH (m)<-[k:HAS_ANCESTOR]-(x:Model)
WHERE k.depth <= $max_depth AND """ + not_fixture("x") + """
RETURN m.id AS root, k.depth AS depth, k.relation AS relation, count(k) AS n
"""
)

DESCENDANT_IDS = (
    RESOLVE
    + """
MATCH (m)<-[k:HAS_ANCESTOR]-(x:Model)
WHERE k.depth <= $max_depth
RETURN x.id AS id, k.depth AS depth
"""
)

BY_FILE = f"""
MATCH (f:File {{sha256: $sha256}})<-[h:HAS_FILE]-(m:Model)
WHERE $as_of IS NULL OR h.first_seen <= $as_of
RETURN f.sha256 AS sha256, coalesce(h.name, f.name) AS name, coalesce(h.size, f.size) AS size,
       {_project('m')} AS model
ORDER BY m.id
"""

DEPLOYMENTS_OF = """
UNWIND $models AS row
MATCH (d:Deployment)-[s:SERVES]->(m:Model {id: row.id})
WHERE $as_of IS NULL OR s.first_seen <= $as_of
OPTIONAL MATCH (p:Party)-[:OPERATES]->(d)
RETURN d.id AS id, d.kind AS kind, d.status AS status, d.url AS url,
       coalesce(p.id, d.operator) AS operator, m.id AS model_id, row.depth AS depth,
       """ + US("s.first_seen") + """ AS first_seen, """ + US("s.last_seen") + """ AS last_seen
ORDER BY depth, model_id, id
"""


# Batched model reads behind the API (graph.reads.models, graph.reads.scope, graph.reads.reader):
# each takes ``$ids`` / ``$keys`` lists so that one statement answers a whole page of GraphQL rows
# (the API's DataLoaders collect the keys). A model is projected with FACTS: what
# graph.reads.convert.model_ref needs plus the descriptive facts and the materialised propagation
# summary (``eff_*``, absent until materialised).
_EXTRA = (
    ", .name, .hub, .license_raw, .license_name, .license_link, .pipeline_tag, .library, "
    "created_at: " + US("{v}.created_at") + ", last_modified: " + US("{v}.last_modified") + ", "
    ".sha, .downloads, .likes, .params, .training_compute_flops, .tags, "
    "listed_at: " + US("{v}.listed_at") + ", crawled_at: " + US("{v}.crawled_at") + ", "
    ".eff_version, .eff_store_version, .eff_kb_version, .eff_conflict_state}}"
)
FACTS = MODEL_PROJECTION[:-2] + _EXTRA
FACTS_NOW = MODEL_PROJECTION_NOW[:-2] + _EXTRA
"""For current reads: no version histories (the licence in force is the ``declared_license`` property)."""


def project_facts(var: str, now: bool = False) -> str:
    """``var {…}``: the FACTS map (or FACTS_NOW for current reads) of the node bound to ``var``."""
    return var + " " + (FACTS_NOW if now else FACTS).format(v=var)


# keys may be current ids or old ids (aliases); rows come back keyed by what was asked
MODEL_FACTS: dict[bool, str] = {
    False: RESOLVE_KEYS + f"RETURN key, {project_facts('m', now=True)} AS model",
    # as of an instant, also when the model is known from (graph.reads.known_since): one round trip
    True: RESOLVE_KEYS + f"WITH key, m, {known_since_expr('m')} AS since "
    f"RETURN key, {project_facts('m', now=False)} AS model, {US('since')} AS known_since",
}
"""Facts of each model named; keyed by "is an as-of read" (current reads skip the version histories)."""

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


# Members of a family from the ancestry index: the root (depth 0) and every descendant but fixture models.
FAMILY_MEMBERS = (
    RESOLVE
    + """
CALL (m) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(m)
  WHERE """ + not_fixture("x") + """
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
# with what a drawing shows of each, and the family's size; fixture models are neither drawn nor counted.
FAMILY_DRAW = (
    RESOLVE
    + """
CALL (m) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(:Model)
  WHERE k.key > m.id + $sep AND k.key < m.id + $hi AND """ + not_fixture("x") + """
  WITH x, k ORDER BY k.key LIMIT $limit
  RETURN collect([x.id, k.depth, x.declared_license, x.status, x.eff_conflict_state]) AS rows
}
RETURN [m.id, 0, m.declared_license, m.status, m.eff_conflict_state] AS root, rows,
       1 + COUNT { MATCH (m)<-[:HAS_ANCESTOR]-(x:Model) WHERE """ + not_fixture("x") + """ } AS total
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
  WHERE COUNT { (x)<-[:SERVES]-() } > 0 AND """ + not_fixture("x") + """
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

# Models declaring one of $licenses now / at $as_of (fixture models left out).
LICENSE_SOURCES: dict[bool, str] = {
    False: """
UNWIND $licenses AS lic
MATCH (m:Model {declared_license: lic})
WHERE """ + not_fixture("m") + """
RETURN DISTINCT m.id AS id
""",
    True: """
UNWIND $licenses AS lic
MATCH (m:Model)-[r:DECLARES]->(:License {id: lic})
WHERE r.valid_from <= $as_of AND (r.valid_to IS NULL OR r.valid_to > $as_of) AND """ + not_fixture("m") + """
RETURN DISTINCT m.id AS id
""",
}

# Descendants of a set of source models from the ancestry index (current reads only; fixture models left out).
LICENSE_MEMBERS = """
UNWIND $ids AS id
MATCH (x:Model)-[k:HAS_ANCESTOR]->(:Model {id: id})
WHERE """ + not_fixture("x") + """
RETURN x.id AS id, min(k.depth) AS depth
"""
