"""Staleness: models of a family that a full crawl run no longer saw."""

from __future__ import annotations

__all__ = ["STALE_CANDIDATES", "STALE_MARK"]

# The family is the root and its descendants (ancestry index) up to $max_depth; deleted
# models are facts already, not candidates.
STALE_CANDIDATES = """
OPTIONAL MATCH (direct:Model {id: $id})
OPTIONAL MATCH (:ModelAlias {id: $id})-[:ALIAS_OF]->(aliased:Model)
WITH coalesce(direct, aliased) AS m
WHERE m IS NOT NULL
CALL (m) {
  RETURN m AS x
  UNION
  MATCH (m)<-[k:HAS_ANCESTOR]-(x:Model)
  WHERE k.depth <= $max_depth
  RETURN x
}
WITH m, x WHERE coalesce(x.status, '') <> 'deleted'
RETURN m.id AS root, count(x) AS total,
       collect(CASE WHEN coalesce(x.last_run, '') <> $run AND x.stale IS NULL THEN x.id END) AS unseen
"""

STALE_MARK = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
WHERE coalesce(m.last_run, '') <> $run
SET m.stale = true, m.stale_since = $now, m.stale_run = $run
RETURN count(m) AS marked
"""
