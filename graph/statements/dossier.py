"""Read statements of the dossier that no other read makes: the provenance of versioned facts.

The lineage itself, facts, the engine's view, deployments reached and file lookups come from
the shared read plans (:mod:`graph.reads`); these statements add the
evidence those reads do not project: every ``DECLARES`` and ``PUBLISHED`` version of the
models on a chain (open and closed) and their ``TRAINED_ON`` datasets, the ``SERVES`` link of
each deployment reached, and the ``HAS_FILE`` link of each model holding a file. Times are
epoch microseconds (see :func:`graph.statements.reads.US`); every value is a parameter.
"""

from __future__ import annotations

from graph.statements.reads import US

__all__ = ["CHAIN_PROVENANCE", "FILE_PROVENANCE", "SERVES_PROVENANCE"]


def _prov(var: str) -> str:
    """The provenance fields every relationship carries (see graph.statements.write)."""
    return (
        f"first_seen: {US(var + '.first_seen')}, last_seen: {US(var + '.last_seen')}, "
        f"source_url: {var}.source_url, revision: {var}.revision, run: {var}.last_run"
    )


# Every licence declaration and publisher version of each model ($ids: current ids), and its datasets.
CHAIN_PROVENANCE = f"""
UNWIND $ids AS id
MATCH (m:Model {{id: id}})
RETURN id,
  [(m)-[d:DECLARES]->(l:License) | {{license: l.id, raw: d.raw, license_name: d.license_name,
     license_link: d.license_link, valid_from: {US('d.valid_from')}, valid_to: {US('d.valid_to')}, {_prov('d')}}}]
    AS declarations,
  [(p:Party)-[v:PUBLISHED]->(m) | {{party: p.id, kind: p.kind,
     valid_from: {US('v.valid_from')}, valid_to: {US('v.valid_to')}, {_prov('v')}}}] AS publishers,
  [(m)-[t:TRAINED_ON]->(s:Dataset) | {{dataset: s.id, {_prov('t')}}}] AS datasets
"""

# The SERVES link of each (deployment, model) pair ($pairs: [{deployment, model}]).
SERVES_PROVENANCE = f"""
UNWIND $pairs AS pair
MATCH (d:Deployment {{id: pair.deployment}})-[s:SERVES]->(m:Model {{id: pair.model}})
RETURN d.id AS deployment, m.id AS model, {{{_prov('s')}}} AS prov
"""

# The HAS_FILE link of each model in $ids holding the file $sha256 (lower-case hex).
FILE_PROVENANCE = f"""
MATCH (f:File {{sha256: $sha256}})<-[h:HAS_FILE]-(m:Model)
WHERE m.id IN $ids
RETURN m.id AS model, {{{_prov('h')}}} AS prov
"""
