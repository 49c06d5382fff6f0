"""Renamed repos: ``(:ModelAlias {id})-[:ALIAS_OF]->(:Model)`` plus ``Model.aliases`` (list).

The alias node exists so that an old id is found through a unique index; the list property
is for display. A Model id and an alias id never coexist: when a model takes an id that was
an alias, the alias node is removed.
"""

from __future__ import annotations

__all__ = [
    "ALIAS_DELETE_MODEL",
    "ALIAS_DELETE_NAME",
    "ALIAS_LOOKUP",
    "ALIAS_MARK_DESCENDANTS",
    "ALIAS_MOVE_IN",
    "ALIAS_MOVE_OUT",
    "ALIAS_NODE_PROPS",
    "ALIAS_REKEY",
    "ALIAS_RELS_OF",
    "ALIAS_RENAME",
    "ALIAS_RESOLVE",
    "ALIAS_SET_PROPS",
    "ALIAS_TARGET_CREATE",
    "ALIAS_UPSERT",
    "REL_DELETE",
    "REL_SET_PROPS",
]

# The model an alias names, when the graph does not hold it yet (known only by this rename).
ALIAS_TARGET_CREATE = """
MERGE (m:Model {id: $id})
ON CREATE SET m.status = 'unknown', m.search_id = toLower($id), m.first_seen = $t, m.last_seen = $t, m.last_run = $run,
              m.source_url = $url, m.revision = $rev
"""

ALIAS_RESOLVE = """
UNWIND $ids AS id
MATCH (:ModelAlias {id: id})-[:ALIAS_OF]->(m:Model)
RETURN id AS alias, m.id AS id
"""

ALIAS_LOOKUP = """
OPTIONAL MATCH (old:Model {id: $old})
OPTIONAL MATCH (new:Model {id: $new})
OPTIONAL MATCH (:ModelAlias {id: $old})-[:ALIAS_OF]->(target:Model)
RETURN old IS NOT NULL AS has_old, new IS NOT NULL AS has_new, target.id AS target
"""

ALIAS_NODE_PROPS = """
MATCH (m:Model {id: $id})
RETURN properties(m) AS props
"""

ALIAS_RENAME = """
MATCH (m:Model {id: $old})
SET m.id = $new, m.search_id = toLower($new)
"""

# Keys of the ancestry index embed ids: refresh them after a rename.
ALIAS_REKEY = """
MATCH (m:Model {id: $id})
CALL (m) {
  MATCH (x:Model)-[k:HAS_ANCESTOR]->(m)
  SET k.key = m.id + $sep + right('000' + toString(k.depth), 3) + $sep + x.id
}
CALL (m) {
  MATCH (m)-[k:HAS_ANCESTOR]->(y:Model)
  SET k.key = y.id + $sep + right('000' + toString(k.depth), 3) + $sep + m.id
}
"""

ALIAS_DELETE_NAME = """
MATCH (a:ModelAlias {id: $id})
DETACH DELETE a
"""

ALIAS_UPSERT = """
MATCH (m:Model {id: $new})
MERGE (a:ModelAlias {id: $old})
SET a.first_seen = CASE WHEN a.first_seen IS NULL OR $t < a.first_seen THEN $t ELSE a.first_seen END
FOREACH (_ IN CASE WHEN a.last_seen IS NULL OR $t >= a.last_seen THEN [1] ELSE [] END |
  SET a.last_seen = $t, a.last_run = $run, a.source_url = $url, a.revision = $rev)
WITH a, m
OPTIONAL MATCH (a)-[stale:ALIAS_OF]->(other:Model) WHERE other <> m
DELETE stale
WITH a, m
MERGE (a)-[:ALIAS_OF]->(m)
SET m.aliases = CASE WHEN $old IN coalesce(m.aliases, []) THEN m.aliases ELSE coalesce(m.aliases, []) + $old END
"""

ALIAS_MARK_DESCENDANTS = """
MATCH (m:Model {id: $id})
OPTIONAL MATCH (x:Model)-[:HAS_ANCESTOR]->(m)
WITH m, collect(x) AS xs
FOREACH (n IN xs + [m] | SET n.closure_dirty = true)
"""

# Move every relationship (except the ancestry index and links between the two) from old to new.
ALIAS_MOVE_OUT = """
MATCH (old:Model {id: $old}), (new:Model {id: $new})
MATCH (old)-[r]->(x)
WHERE x <> new AND x <> old AND type(r) <> 'HAS_ANCESTOR'
CREATE (new)-[r2:$(type(r))]->(x)
SET r2 = properties(r)
DELETE r
"""

ALIAS_MOVE_IN = """
MATCH (old:Model {id: $old}), (new:Model {id: $new})
MATCH (x)-[r]->(old)
WHERE x <> new AND x <> old AND type(r) <> 'HAS_ANCESTOR'
CREATE (x)-[r2:$(type(r))]->(new)
SET r2 = properties(r)
DELETE r
"""

ALIAS_RELS_OF = """
MATCH (m:Model {id: $id})-[r]-(x)
WHERE type(r) <> 'HAS_ANCESTOR'
RETURN elementId(r) AS eid, type(r) AS type, startNode(r) = m AS outgoing, elementId(x) AS other,
       properties(r) AS props
"""

ALIAS_DELETE_MODEL = """
MATCH (old:Model {id: $old})
DETACH DELETE old
"""

ALIAS_SET_PROPS = """
MATCH (m:Model {id: $new})
SET m = $props
"""

REL_DELETE = """
UNWIND $eids AS eid
MATCH ()-[r]->() WHERE elementId(r) = eid
DELETE r
"""

REL_SET_PROPS = """
UNWIND $rows AS row
MATCH ()-[r]->() WHERE elementId(r) = row.eid
SET r = row.props
"""
