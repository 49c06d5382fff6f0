"""Statements of the licence knowledge base: ``License``/``Term`` nodes and ``IMPOSES`` pairs.

One ``UNWIND $rows … MERGE`` per kind (rows from :mod:`graph.knowledge_base.rows`), properties
replaced from the rows; ``IMPOSES`` pairs of another knowledge-base version are removed.
"""

from __future__ import annotations

__all__ = [
    "DELETE_STALE_IMPOSES",
    "MERGE_IMPOSES",
    "MERGE_LICENSES",
    "MERGE_TERMS",
]

MERGE_LICENSES = """
UNWIND $rows AS row
MERGE (l:License {id: row.id})
SET l += row
"""

MERGE_TERMS = """
UNWIND $rows AS row
MERGE (t:Term {id: row.id})
SET t += row
"""

MERGE_IMPOSES = """
UNWIND $rows AS row
MATCH (l:License {id: row.license_id})
MATCH (t:Term {id: row.term_id})
MERGE (l)-[r:IMPOSES]->(t)
SET r.marker = row.marker, r.flows = row.flows, r.binding = row.binding, r.section = row.section,
    r.kb_version = $kb_version
"""

DELETE_STALE_IMPOSES = """
MATCH (:License)-[r:IMPOSES]->(:Term)
WHERE r.kb_version IS NULL OR r.kb_version <> $kb_version
DELETE r
RETURN count(r) AS removed
"""
