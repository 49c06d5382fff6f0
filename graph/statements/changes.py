"""Statements of change records: capture (read the state to compare, announce, record) and reads by scope.

Times cross the driver as epoch microseconds (:func:`graph.statements.reads.US`, :func:`graph.statements.write.DT`).
"""

from __future__ import annotations

from graph.statements.reads import US
from graph.statements.write import DT

__all__ = [
    "ANNOUNCE",
    "BASELINE_ANNOUNCED",
    "BATCH_CHANGES",
    "CAPTURE_STATE",
    "CHANGE_COLUMNS",
    "CREATE_CHANGES",
    "DISPATCHED_CHANGES",
    "MARK_DISPATCHED",
    "SCOPE_CHANGES",
    "UNDISPATCHED_BATCHES",
]

# The models of $ids the hub has told about (not mere references), write-locked first (a SET that changes
# nothing) so that two batches capturing the same model one after the other see each other's announcement;
# then everything a change can be about, now and as last announced.
CAPTURE_STATE = """
UNWIND $ids AS id
MATCH (m:Model {id: id})
WHERE m.status IS NOT NULL AND m.status <> 'unknown'
SET m.ann_known = m.ann_known
RETURN m.id AS id, m.status AS status, m.gated AS gate, m.declared_license AS license,
  [(m)-[d:DECLARES]->(:License) WHERE d.valid_to IS NULL | """ + US("d.valid_from") + """][0] AS license_from,
  COLLECT { MATCH (m)-[r:DERIVED_FROM]->(p:Model) WHERE r.valid_to IS NULL
            RETURN [p.id, coalesce(r.relation, 'unknown'), toString(""" + US("r.valid_from") + """)] AS parent } AS parents,
  COLLECT { MATCH (d:Deployment)-[:SERVES]->(m) RETURN d.id AS deployment } AS deployments,
  CASE WHEN m.crawled_at IS NOT NULL THEN 'crawled' WHEN m.listed_at IS NOT NULL THEN 'listed' END AS known_from,
  m.source_url AS url, m.revision AS rev, """ + US("m.last_seen") + """ AS seen,
  m.eff_computed_at IS NOT NULL AS computed, m.eff_kb_version AS kb, m.eff_licenses AS eff_licenses,
  m.eff_terms AS eff_terms, m.eff_dropped_terms AS dropped, m.eff_violated_terms AS violated,
  m.eff_commercial_status AS commercial, m.eff_conflict_keys AS conflicts,
  m.ann_known AS ann_known, m.ann_status AS ann_status, m.ann_gate AS ann_gate, m.ann_license AS ann_license,
  m.ann_parents AS ann_parents, m.ann_deployments AS ann_deployments,
  m.ann_results AS ann_results, m.ann_licenses AS ann_licenses, m.ann_terms AS ann_terms,
  m.ann_dropped AS ann_dropped, m.ann_violated AS ann_violated, m.ann_commercial AS ann_commercial,
  m.ann_conflicts AS ann_conflicts
"""

# $rows: {id, props} — the state now announced (ann_* properties).
ANNOUNCE = """
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m += row.props
"""

# $rows: one change each (see graph.changes.capture.change_row); :Undispatched until watches have seen it.
CREATE_CHANGES = """
UNWIND $rows AS row
CREATE (c:Change:Undispatched {id: row.id})
SET c.kind = row.kind, c.model_id = row.model_id, c.batch = row.batch, c.recorded_at = """ + DT("row.at") + """,
    c.details = row.details, c.licenses = row.licenses, c.terms = row.terms, c.source_url = row.url,
    c.revision = row.rev, c.kb_version = row.kb,
    c.observed_at = CASE WHEN row.seen IS NULL THEN null ELSE """ + DT("row.seen") + """ END
"""

# Models the hub has told about that have never been announced (a graph written before change records
# existed): their current state becomes the announced one, without records — nothing is claimed to have
# changed. Run by ``lineage migrate``; a no-op on a graph whose models are all announced.
BASELINE_ANNOUNCED = """
MATCH (m:Model)
WHERE m.ann_known IS NULL AND m.status IS NOT NULL AND m.status <> 'unknown'
CALL (m) {
  SET m.ann_known = true, m.ann_status = m.status, m.ann_gate = m.gated, m.ann_license = m.declared_license,
      m.ann_parents = COLLECT { MATCH (m)-[r:DERIVED_FROM]->(p:Model) WHERE r.valid_to IS NULL
                                RETURN p.id + '|' + coalesce(r.relation, 'unknown') AS k ORDER BY k },
      m.ann_deployments = COLLECT { MATCH (d:Deployment)-[:SERVES]->(m) RETURN d.id AS k ORDER BY k },
      m.ann_results = CASE WHEN m.eff_conflict_keys IS NULL THEN null ELSE true END,
      m.ann_licenses = m.eff_licenses, m.ann_terms = m.eff_terms, m.ann_dropped = m.eff_dropped_terms,
      m.ann_violated = m.eff_violated_terms, m.ann_commercial = m.eff_commercial_status,
      m.ann_conflicts = m.eff_conflict_keys
} IN TRANSACTIONS OF 10000 ROWS
"""

CHANGE_COLUMNS = """c.id AS id, c.kind AS kind, c.model_id AS model_id, c.batch AS batch,
  """ + US("c.recorded_at") + """ AS at, c.details AS details, c.licenses AS licenses, c.terms AS terms,
  c.source_url AS url, c.revision AS rev, """ + US("c.observed_at") + """ AS seen, c.kb_version AS kb"""
"""The columns of a change record ``c`` (graph.changes.read.change_from_row)."""

# The undispatched changes of one batch, a page at a time in id order ($after: "" for the first).
BATCH_CHANGES = """
MATCH (c:Change:Undispatched)
WHERE c.batch = $batch AND c.id > $after
RETURN """ + CHANGE_COLUMNS + """
ORDER BY c.id
LIMIT $limit
"""

# The changes of $batch that the dispatch at $at (epoch µs) handed to the watches (a GraphQL subscription reads them).
DISPATCHED_CHANGES = """
MATCH (c:Change {batch: $batch})
WHERE c.dispatched_at = """ + DT("$at") + """
RETURN """ + CHANGE_COLUMNS + """
ORDER BY c.id
"""

MARK_DISPATCHED = """
UNWIND $ids AS id
MATCH (c:Change {id: id})
REMOVE c:Undispatched
SET c.dispatched_at = """ + DT("$at") + """
"""

# Batches with undispatched changes recorded before $before (a batch whose dispatch never came).
UNDISPATCHED_BATCHES = """
MATCH (c:Change:Undispatched)
WHERE c.recorded_at < """ + DT("$before") + """
RETURN DISTINCT c.batch AS batch
LIMIT $limit
"""

def _page(descending: bool) -> str:
    """Filter by time and kinds, then one keyset page on (recorded_at, id), oldest or newest first."""
    after = "<" if descending else ">"
    order = "DESC" if descending else ""
    return """
WITH c WHERE c.recorded_at >= """ + DT("$since") + """ AND (size($kinds) = 0 OR c.kind IN $kinds)
  AND ($after_id = '' OR c.recorded_at """ + after + " " + DT("$after_at") + """
       OR (c.recorded_at = """ + DT("$after_at") + " AND c.id " + after + """ $after_id))
RETURN """ + CHANGE_COLUMNS + """
ORDER BY c.recorded_at """ + order + ", c.id " + order + """
LIMIT $limit
"""


# Changes of a scope recorded since $since, keyset-paged on (recorded_at, id): the MATCH of each scope kind.
_SCOPE_MATCH: dict[str, str] = {
    # a model and everything upstream of it: what it depends on
    "model": """
MATCH (w:Model {id: $id})
CALL (w) {
  RETURN w AS m
  UNION
  MATCH (w)-[:HAS_ANCESTOR]->(m:Model) RETURN m
}
MATCH (c:Change {model_id: m.id})
""",
    # a family: the root and every descendant at any depth (also those that appear later)
    "root": """
MATCH (r:Model {id: $id})
CALL (r) {
  RETURN r AS m
  UNION
  MATCH (r)<-[:HAS_ANCESTOR]-(m:Model) RETURN m
}
MATCH (c:Change {model_id: m.id})
""",
    "license": """
MATCH (c:Change)
WHERE c.recorded_at >= """ + DT("$since") + """ AND $id IN c.licenses
""",
    "term": """
MATCH (c:Change)
WHERE c.recorded_at >= """ + DT("$since") + """ AND $id IN c.terms
""",
    "all": """
MATCH (c:Change)
WHERE c.recorded_at >= """ + DT("$since") + """
""",
}

SCOPE_CHANGES: dict[tuple[str, bool], str] = {
    (kind, descending): match + _page(descending) for kind, match in _SCOPE_MATCH.items() for descending in (False, True)
}
"""(scope kind, newest first) → the statement; scope kinds: model, root, license, term, all."""
