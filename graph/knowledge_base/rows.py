"""Graph rows for the knowledge base: ``License`` and ``Term`` nodes and ``IMPOSES`` pairs.

Pure functions (no database): every row is a flat mapping of Neo4j-storable values (scalars
or lists of scalars), so the store loads each kind with one ``UNWIND $rows … MERGE``.
"""

from __future__ import annotations

from dataclasses import dataclass

from terms.licenses.catalog import LicenseCatalog
from terms.licenses.model import LicenseEntry

__all__ = ["LicenseGraphRows", "Row", "graph_rows", "license_row"]

Row = dict[str, str | int | bool | list[str] | None]


@dataclass(frozen=True, slots=True)
class LicenseGraphRows:
    """Everything the store needs, in load order: licences, terms, then the pairs."""

    kb_version: str
    licenses: tuple[Row, ...]
    terms: tuple[Row, ...]
    imposes: tuple[Row, ...]


def license_row(entry: LicenseEntry, kb_version: str) -> Row:
    """The ``License`` node properties for one entry."""
    com = entry.commercial
    return {
        "id": entry.id,
        "name": entry.name,
        "family": entry.family,
        "released": entry.released,
        "spdx": entry.spdx,
        "scancode": entry.scancode,
        "aliases": list(entry.aliases),
        "licensor": entry.licensor,
        "licensor_hub_orgs": list(entry.licensor_hub_orgs),
        "commercial_status": com.status.value,
        "mau_threshold": com.mau_threshold,
        "revenue_threshold_usd": com.revenue_threshold_usd,
        "registration_required": com.registration_required,
        "commercial_note": com.note,
        "restrictions": list(entry.restrictions),
        "restriction_sections": [f"{r.id}: {r.section}" for r in entry.restriction_items if r.section],
        "restrictions_complete": entry.restrictions_complete,
        "flow_down": entry.flow_down.value,
        "derivative_licensing": entry.derivative_licensing.value,
        "attribution": [a.text or a.kind.value for a in entry.attribution],
        "naming": [f"{n.kind.value}:{n.value}" for n in entry.naming],
        "output_training": entry.outputs.train_other_models.value,
        "output_scope": entry.outputs.scope,
        "exclusions": [f"{e.kind.value}:{e.region or 'any'}:{e.scope or 'all'}" for e in entry.exclusions],
        "duties": [d.kind for d in entry.duties],
        "redistribution": entry.redistribution.value,
        "hosting_is_distribution": entry.hosting_is_distribution.value,
        "terminates_on": list(entry.terminates_on),
        "revocable": entry.revocable,
        "no_further_restrictions": entry.no_further_restrictions,
        "share_alike": entry.share_alike,
        "osi_approved": entry.osi_approved.value,
        "eu_oss_exemption": entry.eu_oss_exemption.value,
        "verified": entry.verified,
        "markers": sorted(f"{field}:{marker.value}" for field, marker in entry.markers.items()),
        "sources": list(entry.sources),
        "notes": entry.notes,
        "kb_version": kb_version,
    }


def graph_rows(catalog: LicenseCatalog) -> LicenseGraphRows:
    """All rows for the catalog, sorted by id so repeated loads are identical."""
    version = catalog.version
    licenses = tuple(license_row(e, version) for e in sorted(catalog, key=lambda e: e.id))
    terms = tuple(
        {
            "id": t.id,
            "kind": t.kind.value,
            "key": t.key,
            "value": t.value,
            "amount": t.amount,
            "description": t.description,
            "alternatives": list(t.alternatives),
            "applies_to": t.applies_to,
            "kb_version": version,
        }
        for t in sorted(catalog.all_terms.values(), key=lambda t: t.id)
    )
    imposes: list[Row] = []
    for entry in sorted(catalog, key=lambda e: e.id):
        lt = catalog.terms(entry.id)
        flowing = {t.id for t in lt.flowing}
        for term in lt.all:
            marker = lt.markers.get(term.id)
            imposes.append({
                "license_id": entry.id,
                "term_id": term.id,
                "marker": marker.value if marker else None,
                "flows": term.id in flowing,
                "binding": term.id in lt.binding,
                "section": lt.sections.get(term.id),
            })
    return LicenseGraphRows(version, licenses, terms, tuple(imposes))
