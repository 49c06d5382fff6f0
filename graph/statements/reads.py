"""Read statements. ``$id`` may be a model id or an alias; every statement resolves it first.

Two variants of each traversal: *current* (open versions only, and the HAS_ANCESTOR index
where it helps) and *as of* ``$as_of`` (versions valid at that instant). Depth bounds are
put into statement text only by :func:`ancestors_statement` and friends from integers that
:mod:`graph.reads` has validated; everything else is a parameter.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = [
    "EDGE_PROJECTION",
    "US",
    "BY_FILE",
    "DEPLOYMENTS_OF",
    "DESCENDANT_IDS",
    "DESCENDANTS_INDEX_PAGE",
    "DESCENDANTS_INDEX_TOTAL",
    "DESCENDANTS_INDEX_TOTAL_FILTERED",
    "FAMILY_INDEX",
    "MODEL_NODE",
    "MODELS_BY_ID",
    "RESOLVE",
    "ancestors_statement",
    "descendants_walk_statement",
]

RESOLVE = """
OPTIONAL MATCH (direct:Model {id: $id})
OPTIONAL MATCH (:ModelAlias {id: $id})-[:ALIAS_OF]->(aliased:Model)
WITH coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
"""

def US(expr: str) -> str:  # noqa: N802 - reads like a Cypher function
    """Cypher for a datetime as epoch microseconds (null stays null).

    Reads return times as integers: the driver's conversion of temporal values costs
    ~50-100 µs each in Python, more than the query itself for a page of models.
    """
    return f"({expr}).epochSeconds * 1000000 + ({expr}).microsecond"


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

MODEL_NODE = RESOLVE + f"RETURN {_project('m')} AS model"

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
def descendants_walk_statement(depth: int, as_of: bool) -> str:
    """Descendants of $id by walking DERIVED_FROM versions (for ``as_of`` reads): id, depth, relation."""
    if not 1 <= depth <= 64:
        raise ValueError("depth out of range")
    valid = _VALID_AS_OF if as_of else _VALID_NOW
    return (
        RESOLVE
        + f"""
MATCH p = (x:Model)-[:DERIVED_FROM*1..{int(depth)}]->(m)
WHERE x <> m AND all(r IN relationships(p) WHERE {valid})
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

FAMILY_INDEX = (
    RESOLVE
    + """
OPTIONAL MATCH (m)<-[k:HAS_ANCESTOR]-(:Model)
WHERE k.depth <= $max_depth
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
