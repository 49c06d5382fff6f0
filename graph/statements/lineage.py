"""DERIVED_FROM and the ancestry index (HAS_ANCESTOR).

``(:Model)-[:DERIVED_FROM]->(:Model)`` is the observed fact, versioned (see graph.history).
``(:Model)-[:HAS_ANCESTOR {depth, relation, key}]->(:Model)`` is a derived index over the
*open* DERIVED_FROM edges: one relationship per (descendant, ancestor) pair, ``depth`` the
shortest distance, ``relation`` how the descendant itself was derived (its first edge on a
shortest path), and ``key`` = ancestor id, depth (3 digits), descendant id joined by
``KEY_SEP`` — a relationship range index on ``key`` gives descendants in a stable order for
cursor paging without sorting. Self-pairs are never stored, so cycles stay finite.
"""

from __future__ import annotations

from graph.statements.write import DT, ROWS

__all__ = [
    "ANCESTRY_CLEAR_DIRTY",
    "ANCESTRY_DELETE_FOR",
    "ANCESTRY_DESCENDANTS_OF",
    "ANCESTRY_DIRTY",
    "ANCESTRY_ENSURE",
    "ANCESTRY_INSERT",
    "ANCESTRY_MARK_ALL_DIRTY",
    "ANCESTRY_MARK_DIRTY",
    "DERIVED_CLOSE_MISSING",
    "DERIVED_CREATE",
    "DERIVED_CREATE_ANY",
    "DERIVED_OPEN_PARENTS",
    "DERIVED_PROPS",
    "DERIVED_READ",
    "DERIVED_TIMES",
    "DERIVED_UPDATE",
    "KEY_SEP",
    "MAX_ANCESTRY_DEPTH",
]

KEY_SEP = "\u0001"
MAX_ANCESTRY_DEPTH = 64

# Anchored on the child: a plan that expands from the parent (a hub root with 100k children)
# instead is catastrophic, so the expansion is a pattern comprehension from ``c``.
DERIVED_READ = """
UNWIND $rows AS r
MATCH (c:Model {id: r.child})
UNWIND [(c)-[d:DERIVED_FROM]->(p:Model) WHERE p.id = r.parent | d] AS d
RETURN r.child AS child, r.parent AS parent, elementId(d) AS eid, properties(d) AS props
"""

# props arrive with times as epoch microseconds (see graph.statements.write.DT)
_EDGE_TIMES = f"d.first_seen = {DT('r.props.first_seen')}, d.last_seen = {DT('r.props.last_seen')}"

DERIVED_UPDATE = f"""
UNWIND $rows AS r
MATCH ()-[d:DERIVED_FROM]->() WHERE elementId(d) = r.eid
SET d += r.props, {_EDGE_TIMES}
"""

# The properties graph.evidence.edge_properties gives an edge (+ valid_from), set by name: a map
# of unknown keys (``SET d = r.props``) makes Cypher materialise every row (Eager) before writing.
DERIVED_PROPS = ("relation", "confidence", "source_url", "revision", "evidence", "last_run")
DERIVED_TIMES = ("first_seen", "last_seen", "valid_from")

DERIVED_CREATE = f"""
UNWIND $rows AS r
MATCH (c:Model {{id: r.child}})
MATCH (p:Model {{id: r.parent}})
CREATE (c)-[d:DERIVED_FROM]->(p)
SET {", ".join(f"d.{k} = r.props.{k}" for k in DERIVED_PROPS)},
    {_EDGE_TIMES}, d.valid_from = {DT("r.props.valid_from")}
"""

# The same for an edge whose properties hold any other key (none today).
DERIVED_CREATE_ANY = f"""
UNWIND $rows AS r
MATCH (c:Model {{id: r.child}})
MATCH (p:Model {{id: r.parent}})
CREATE (c)-[d:DERIVED_FROM]->(p)
SET d = r.props, {_EDGE_TIMES}, d.valid_from = {DT("r.props.valid_from")}
"""

# rows: {child, parents, t}. A full observation closes open edges to parents it no longer names.
DERIVED_CLOSE_MISSING = ROWS + """MATCH (c:Model {id: r.child})
WITH c, r WHERE c.last_full_at IS NULL OR r.t >= c.last_full_at
SET c.last_full_at = r.t
WITH c, r
MATCH (c)-[d:DERIVED_FROM]->(p:Model)
WHERE d.valid_to IS NULL AND d.valid_from < r.t AND NOT p.id IN r.parents
SET d.valid_to = r.t, c.closure_dirty = true
RETURN c.id AS child, p.id AS parent
"""

# rows: {child, parent, relation} for open edges. Adds every pair the edge creates, using
# the index of the child's descendants and the parent's ancestors. Runs per row in a
# subquery so that rows of one batch see each other's pairs (chains inside a batch).
ANCESTRY_ENSURE = f"""
UNWIND $rows AS r
MATCH (c:Model {{id: r.child}})
MATCH (p:Model {{id: r.parent}})
WITH c, p, r WHERE c <> p
CALL (c, p, r) {{
  WITH [{{n: c, d: 0, rel: r.relation}}] +
       [(x)-[k:HAS_ANCESTOR]->(c) | {{n: x, d: k.depth, rel: k.relation}}] AS xs,
       [{{n: p, d: 0}}] + [(p)-[k:HAS_ANCESTOR]->(y) | {{n: y, d: k.depth}}] AS ys
  UNWIND xs AS x
  UNWIND ys AS y
  WITH x, y, x.d + 1 + y.d AS depth
  WHERE x.n <> y.n AND depth <= {MAX_ANCESTRY_DEPTH}
  WITH x.n AS xn, y.n AS yn, depth, x.rel AS rel
  MERGE (xn)-[a:HAS_ANCESTOR]->(yn)
  ON CREATE SET a.depth = depth, a.relation = rel,
                a.key = yn.id + $sep + right('000' + toString(depth), 3) + $sep + xn.id
  ON MATCH SET a.relation = CASE WHEN depth < a.depth THEN rel ELSE a.relation END,
               a.key = CASE WHEN depth < a.depth
                            THEN yn.id + $sep + right('000' + toString(depth), 3) + $sep + xn.id
                            ELSE a.key END,
               a.depth = CASE WHEN depth < a.depth THEN depth ELSE a.depth END
  RETURN count(*) AS pairs
}}
RETURN sum(pairs) AS pairs
"""

ANCESTRY_DIRTY = """
MATCH (m:Model) WHERE m.closure_dirty = true
RETURN m.id AS id LIMIT $limit
"""

ANCESTRY_DESCENDANTS_OF = """
UNWIND $ids AS id
MATCH (m:Model {id: id})<-[:HAS_ANCESTOR]-(x:Model)
RETURN DISTINCT x.id AS id
"""

DERIVED_OPEN_PARENTS = """
UNWIND $ids AS id
MATCH (m:Model {id: id})-[d:DERIVED_FROM]->(p:Model)
WHERE d.valid_to IS NULL
RETURN id AS child, p.id AS parent, d.relation AS relation
"""

ANCESTRY_DELETE_FOR = """
UNWIND $ids AS id
MATCH (m:Model {id: id})-[k:HAS_ANCESTOR]->()
DELETE k
"""

ANCESTRY_INSERT = """
UNWIND $rows AS r
MATCH (x:Model {id: r.x})
MATCH (y:Model {id: r.y})
CREATE (x)-[:HAS_ANCESTOR {depth: r.depth, relation: r.relation, key: r.key}]->(y)
"""

ANCESTRY_MARK_DIRTY = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
SET m.closure_dirty = true
"""

# every model, in batches of its own transactions (repair after a bulk load without the index)
ANCESTRY_MARK_ALL_DIRTY = "MATCH (m:Model) CALL (m) { SET m.closure_dirty = true } IN TRANSACTIONS OF 10000 ROWS"

ANCESTRY_CLEAR_DIRTY = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
REMOVE m.closure_dirty
"""
