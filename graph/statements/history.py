"""Statements that date stored versions by a model's commit history (graph.history, "versions
dated by commit history"). Times travel as epoch microseconds (see graph.statements.write.DT).

* ``DECLARES_VERSIONS`` / ``DERIVED_VERSIONS``: the stored versions of the facts a history dates;
* ``DATED_MOVE``: a version's ``valid_from`` moved back to the commit that introduced it
  (``dated_by``, ``dated_revision``, ``dated_url`` say which);
* ``DATED_END``: the version before it ends at that commit too;
* ``DECLARES_INSERT`` / ``DERIVED_INSERT``: an older, closed version no observation saw;
* ``STATUS_DATED``: the model's first status version starts at its oldest commit examined.
"""

from __future__ import annotations

from graph.statements.reads import US
from graph.statements.write import DT

__all__ = [
    "DATED_END",
    "DATED_MOVE",
    "DECLARES_INSERT",
    "DECLARES_VERSIONS",
    "DERIVED_INSERT",
    "DERIVED_VERSIONS",
    "STATUS_DATED",
]

DECLARES_VERSIONS = f"""
UNWIND $ids AS id
MATCH (m:Model {{id: id}})-[v:DECLARES]->(l:License)
RETURN id AS model, elementId(v) AS eid, l.id AS target, {US("v.valid_from")} AS vf, {US("v.valid_to")} AS vt
"""

# anchored on the child, as graph.statements.lineage.DERIVED_READ
DERIVED_VERSIONS = f"""
UNWIND $rows AS r
MATCH (c:Model {{id: r.child}})
UNWIND [(c)-[d:DERIVED_FROM]->(p:Model) WHERE p.id = r.parent | d] AS d
RETURN r.child AS child, r.parent AS parent, elementId(d) AS eid, {US("d.valid_from")} AS vf, {US("d.valid_to")} AS vt
"""

DATED_MOVE = f"""
UNWIND $rows AS r
MATCH ()-[v]->() WHERE elementId(v) = r.eid
SET v.valid_from = {DT("r.from")}, v.dated_by = 'commit', v.dated_revision = r.rev, v.dated_url = r.url
"""

DATED_END = f"""
UNWIND $rows AS r
MATCH ()-[v]->() WHERE elementId(v) = r.eid
SET v.valid_to = {DT("r.to")}
"""

# rows: {id, from}. The repo's oldest commit examined proves it existed then: a first status version
# that is "available" or "gated" (what the hub answered when first asked) starts there instead.
STATUS_DATED = f"""
UNWIND $rows AS r
MATCH (m:Model {{id: r.id}})
WITH m, {DT("r.from")} AS start
WHERE size(coalesce(m.status_valid_from, [])) > 0 AND m.status_history[0] IN ['available', 'gated']
  AND start < m.status_valid_from[0]
SET m.status_valid_from = [start] + m.status_valid_from[1..]
"""

DECLARES_INSERT = f"""
UNWIND $rows AS r
MATCH (m:Model {{id: r.model}})
MATCH (l:License {{id: r.target}})
CREATE (m)-[v:DECLARES]->(l)
SET v.valid_from = {DT("r.from")}, v.valid_to = {DT("r.to")}, v.first_seen = {DT("r.t")}, v.last_seen = {DT("r.t")},
    v.observed_at = {DT("r.t")}, v.last_run = $run, v.source_url = r.url, v.revision = r.rev, v.raw = r.raw,
    v.license_name = r.name, v.license_link = r.link, v.dated_by = 'commit', v.dated_revision = r.rev,
    v.dated_url = r.url
"""

DERIVED_INSERT = f"""
UNWIND $rows AS r
MATCH (c:Model {{id: r.child}})
MATCH (p:Model {{id: r.parent}})
CREATE (c)-[d:DERIVED_FROM]->(p)
SET d.relation = r.relation, d.confidence = r.confidence, d.source_url = r.url, d.revision = r.rev,
    d.evidence = r.evidence, d.last_run = $run, d.first_seen = {DT("r.t")}, d.last_seen = {DT("r.t")},
    d.valid_from = {DT("r.from")}, d.valid_to = {DT("r.to")}, d.dated_by = 'commit', d.dated_revision = r.rev,
    d.dated_url = r.url
"""
