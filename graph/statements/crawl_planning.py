"""Statements for crawl planning and refresh: known models, refresh candidates, unchanged models seen."""

from __future__ import annotations

__all__ = ["KNOWN_MODELS", "MODELS_ACCEPT_FIRST", "MODELS_MARK_SEEN", "POPULAR_LISTED_ONLY", "REFRESH_CANDIDATES"]

# Model nodes by id (not through aliases: crawls name the ids the hub answers with).
KNOWN_MODELS = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
RETURN m.id AS id, m.status AS status, m.sha AS sha, m.last_seen AS last_seen,
       m.last_modified AS last_modified, m.listed_at IS NOT NULL AND m.crawled_at IS NULL AS listed_only
"""

# Crawled models (status other than unknown / deleted) last seen before $before, the oldest
# $scan of them, then cheapest first: a model with an open parent edge declared its base and
# is re-read with one request; a root or undeclared model also has its small files probed.
REFRESH_CANDIDATES = """
MATCH (m:Model)
WHERE m.status IN ['available', 'gated', 'unavailable'] AND m.last_seen < $before
WITH m ORDER BY m.last_seen ASC LIMIT $scan
WITH m, CASE WHEN EXISTS { (m)-[d:DERIVED_FROM]->() WHERE d.valid_to IS NULL } THEN 1 ELSE 5 END AS cost
RETURN m.id AS id, cost, m.last_seen AS last_seen, m.status AS status
ORDER BY cost ASC, last_seen ASC, id ASC
LIMIT $limit
"""

# The most downloaded models known only from listings: the first to crawl in depth.
POPULAR_LISTED_ONLY = """
MATCH (m:Model)
WHERE m.status = 'available' AND m.listed_at IS NOT NULL AND m.crawled_at IS NULL
RETURN m.id AS id ORDER BY coalesce(m.downloads, 0) DESC, m.id LIMIT $limit
"""

# rows: {id, sha, t}. A crawl read the model again and found the sha it already holds: the
# model was seen by this run (so staleness does not mark it) and nothing else changes.
MODELS_MARK_SEEN = """
UNWIND $rows AS r
MATCH (m:Model {id: r.id})
WHERE m.sha = r.sha AND (m.last_seen IS NULL OR r.t >= m.last_seen)
SET m.last_seen = r.t, m.last_run = $run
REMOVE m.stale, m.stale_since, m.stale_run
RETURN count(m) AS seen
"""

# ids: models about to be written from their own observation. A node created only as someone's
# parent (a mention, or an unavailable fetch) carries the mention's time as last_seen; if that
# mention was written first but observed later than the model itself (concurrent writers), the
# model's own properties would be taken as older and dropped. So the node is created here when
# missing (a mention written meanwhile then leaves it alone: mentions only set on create), and a
# never-observed node (no status history) gives up its mention time.
MODELS_ACCEPT_FIRST = """
UNWIND $ids AS id
MERGE (m:Model {id: id})
ON CREATE SET m.status = 'unknown', m.search_id = toLower(id)
WITH m WHERE size(coalesce(m.status_history, [])) = 0 AND m.last_seen IS NOT NULL
SET m.last_seen = null
RETURN count(m) AS reset
"""
