"""Staleness: models of a family that a full crawl run no longer saw."""

from __future__ import annotations

__all__ = ["CASE_TWINS", "STALE_CANDIDATES", "STALE_MARK", "UNLISTED_COUNT", "UNLISTED_IDS"]

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

# A whole-hub listing: every model the hub listed or served before (listed_at / crawled_at) that is
# available or gated and was not seen since the listing began ($started) is a candidate.
_UNLISTED = """
MATCH (m:Model)
WHERE m.status IN ['available', 'gated'] AND (m.listed_at IS NOT NULL OR m.crawled_at IS NOT NULL)
"""

UNLISTED_COUNT = _UNLISTED + """
RETURN count(m) AS total,
       count(CASE WHEN m.last_seen < $started AND m.stale IS NULL THEN 1 END) AS unseen
"""

UNLISTED_IDS = _UNLISTED + """
  AND m.last_seen < $started AND m.stale IS NULL
RETURN m.id AS id ORDER BY id
"""

# Of these models, those another (not stale) model now answers for in another letter case: the hub's
# ids are case-insensitive, so a repo whose id changed case is listed under its new spelling.
CASE_TWINS = """
UNWIND $ids AS id
MATCH (old:Model {id: id})
WHERE EXISTS { MATCH (twin:Model {search_id: old.search_id}) WHERE twin.id <> old.id AND twin.stale IS NULL }
RETURN old.id AS id ORDER BY id
"""
