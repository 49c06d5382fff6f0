"""A CycloneDX 1.6 ML-BOM of a model, built from its dossier with ``cyclonedx-python-lib``.

* The model is ``metadata.component``, of type ``machine-learning-model``: its licences as
  declared (``acknowledgement: declared``) and the licences that apply to it after propagation
  (``concluded``); SPDX ids where the licence is in SPDX, otherwise the Hub's licence id as a
  name with the URL of its text (e.g. ``llama3.1``).
* Its lineage is ``pedigree.ancestors``: every ancestor (all paths of a merge, each once) as a
  ``machine-learning-model`` component with its own declared licence, ``lineage:relation`` (how
  its child derives from it), ``lineage:depth``, and ``lineage:parent`` (``<relation>:<id>``)
  for each of its own parents, so the whole graph can be rebuilt.
* Evidence: the source of every fact as an ``evidence`` external reference (with the fact,
  revision and observation time in its comment); conflicts, commercial status, restrictions
  unknowns, the rules that could not be checked (``lineage:unchecked-rule``) and the hosts by kind
  (``lineage:hosts``) as ``lineage:*`` properties; the dossier's content hash in the metadata.
* ``modelCard`` (task, datasets, library) where the graph holds such data. The library (v11)
  has no model-card classes, so it is added to the serialised JSON, which is then checked
  against the 1.6 schema by the tests.

The serial number is derived from the dossier's content hash, so the same dossier gives the
same BOM apart from its timestamp.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from cyclonedx import spdx
from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from reports.dossier import SCHEMA_ID, SCHEMA_VERSION, Dossier, EvidenceRow, LicenseInfo, ModelEntry, format_instant

__all__ = ["MEDIA_TYPE", "aibom_json", "build_bom"]

MEDIA_TYPE = "application/vnd.cyclonedx+json; version=1.6"
_TOOL_VERSION = "0.1.0"


def _ref(model_id: str) -> str:
    return f"model:{model_id}"


def _name_parts(model_id: str) -> tuple[str | None, str]:
    if "/" in model_id:
        group, name = model_id.split("/", 1)
        return (group or None), (name or model_id)
    return None, model_id


def _licence(license_id: str, info: LicenseInfo | None, ack: LicenseAcknowledgement) -> DisjunctiveLicense:
    spdx_id = info.spdx if info is not None and info.spdx and spdx.is_supported_id(info.spdx) else None
    spdx_id = spdx_id or spdx.fixup_id(license_id)
    if spdx_id:
        return DisjunctiveLicense(id=spdx_id, acknowledgement=ack)
    url = info.sources[0] if info is not None and info.sources else None
    return DisjunctiveLicense(name=license_id, url=XsUri(url) if url else None, acknowledgement=ack)


def _props(pairs: Iterable[tuple[str, str | None]]) -> list[Property]:
    return [Property(name=name, value=value) for name, value in pairs if value is not None]


def _evidence_refs(rows: Iterable[EvidenceRow]) -> list[ExternalReference]:
    out = []
    for row in rows:
        if not row.source_url:
            continue
        when = format_instant(row.last_seen) if row.last_seen else "time not recorded"
        comment = f"{row.id}: {row.fact}; revision {row.revision or 'not recorded'}; observed {when}"
        out.append(ExternalReference(type=ExternalReferenceType.EVIDENCE, url=XsUri(row.source_url), comment=comment))
    return out


def _component(d: Dossier, m: ModelEntry, infos: dict[str, LicenseInfo], evidence: dict[str, EvidenceRow],
               relations: dict[str, list[tuple[str, str]]], children: dict[str, set[str]],
               pedigree: Pedigree | None = None) -> Component:
    group, name = _name_parts(m.id)
    licences: list[DisjunctiveLicense] = []
    if m.license and m.license != "unknown":
        licences.append(_licence(m.license, infos.get(m.license), LicenseAcknowledgement.DECLARED))
    if m.depth == 0 and d.result is not None:
        licences.extend(_licence(lic.license_id, infos.get(lic.license_id), LicenseAcknowledgement.CONCLUDED)
                        for lic in d.result.licenses if lic.license_id not in ("unknown", "none"))
    raw = sorted({x.raw for x in m.declarations if x.in_force and x.raw})
    pairs: list[tuple[str, str | None]] = [
        ("lineage:id", m.id),
        ("lineage:depth", str(m.depth)),
        ("lineage:status", m.status),
        ("lineage:gated", m.gated),
        ("lineage:role", m.role),
        ("lineage:license", m.license or ("unknown (never observed)" if not m.known else "none declared")),
        *(("lineage:license-raw", r) for r in raw),
    ]
    if m.depth > 0:
        pairs.append(("lineage:relation", ",".join(sorted({rel for child, rel in _edges_into(relations, m.id)}))))
        pairs.extend(("lineage:child", c) for c in sorted(children.get(m.id, ())))
    pairs.extend(("lineage:parent", f"{rel}:{parent}") for parent, rel in relations.get(m.id, []))
    ev_ids = list(m.evidence) + [e for x in m.declarations if x.in_force for e in x.evidence]
    ev_ids += [e for x in d.lineage.derivations if x.child == m.id for e in x.evidence]
    pairs.extend(("lineage:evidence", e) for e in ev_ids)
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=_ref(m.id),
        name=name,
        group=group,
        version=m.sha,
        publisher=m.publisher,
        description=None,
        purl=PackageURL(type="huggingface", namespace=group, name=name, version=m.sha),
        licenses=licences,
        properties=_props(pairs),
        external_references=_evidence_refs(evidence[e] for e in dict.fromkeys(ev_ids) if e in evidence),
        pedigree=pedigree,
    )


def _edges_into(relations: dict[str, list[tuple[str, str]]], parent: str) -> list[tuple[str, str]]:
    return [(child, rel) for child, pairs in relations.items() for p, rel in pairs if p == parent]


def build_bom(dossier: Dossier) -> Bom:
    """The BOM object (without model cards: see :func:`aibom_json`)."""
    infos = {lic.id: lic for lic in dossier.licenses}
    evidence = {row.id: row for row in dossier.evidence}
    relations: dict[str, list[tuple[str, str]]] = {}
    children: dict[str, set[str]] = {}
    for x in dossier.lineage.derivations:
        relations.setdefault(x.child, []).append((x.parent, x.relation))
        children.setdefault(x.parent, set()).add(x.child)
    subject = dossier.models[0]
    ancestors = [_component(dossier, m, infos, evidence, relations, children) for m in dossier.models[1:]]
    pedigree = Pedigree(
        ancestors=ancestors,
        notes="Every ancestor on every lineage path, each once; lineage:parent (<relation>:<id>) on each "
              "component gives its direct parents, lineage:relation how its child derives from it.",
    ) if ancestors else None
    main = _component(dossier, subject, infos, evidence, relations, children, pedigree)
    result = dossier.result
    extra: list[tuple[str, str | None]] = []
    if result is not None:
        extra.append(("lineage:commercial-status", result.commercial.status.value))
        extra.append(("lineage:commercial-license", result.commercial.governing_license))
        if result.commercial.mau_threshold is not None:
            extra.append(("lineage:mau-threshold", str(result.commercial.mau_threshold)))
        extra.extend(("lineage:restriction", r) for r in result.restrictions)
        extra.extend(("lineage:conflict", f"{c.rule} {c.severity.value}: {c.message}") for c in result.conflicts)
        extra.append(("lineage:eu-oss-exemption", result.eu_ai_act.oss_exemption.value))
    extra.extend(("lineage:unknown", f"{u.subject}: {u.what}") for u in dossier.unknowns)
    extra.extend(("lineage:unchecked-rule", f"{u.rule}: {u.needs}") for u in dossier.unchecked)
    for host in dossier.deployments.by_kind:
        cap = "" if not host.capped else f" (at least: {host.source_cap} per model is the most the source lists)"
        extra.append(("lineage:hosts", f"{host.kind}: {host.total}{cap}"))
    extra.extend(("lineage:deployment", f"{x.id} serves {x.model}") for x in dossier.deployments.listed)
    for prop in _props(extra):
        main.properties.add(prop)
    metadata = BomMetaData(
        component=main,
        timestamp=dossier.generated_at,
        properties=_props([
            ("lineage:dossier-hash", dossier.content_hash),
            ("lineage:dossier-schema", f"{SCHEMA_ID}/{SCHEMA_VERSION}"),
            ("lineage:as-of", format_instant(dossier.as_of) if dossier.as_of else "current"),
            ("lineage:kb-version", dossier.kb_version),
            ("lineage:asked", dossier.asked),
        ]),
    )
    metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="lineage", version=_TOOL_VERSION))
    digest = bytes.fromhex(dossier.content_hash.split(":", 1)[1])
    return Bom(metadata=metadata, serial_number=uuid.UUID(bytes=digest[:16], version=5))


def _model_card(m: ModelEntry) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    if m.pipeline_tag:
        params["task"] = m.pipeline_tag
    if m.datasets:
        params["datasets"] = [{"type": "dataset", "name": ds} for ds in m.datasets]
    facts = (("lineage:library", m.library), ("lineage:params", None if m.params is None else f"{m.params:g}"))
    props = [{"name": n, "value": v} for n, v in facts if v]
    if not params and not props:
        return None
    card: dict[str, Any] = {"bom-ref": f"model-card:{m.id}"}
    if params:
        card["modelParameters"] = params
    if props:
        card["properties"] = props
    return card


def aibom_json(dossier: Dossier) -> str:
    """The ML-BOM as CycloneDX 1.6 JSON text, with model cards where the graph has the data."""
    data = json.loads(JsonV1Dot6(build_bom(dossier)).output_as_string())
    cards = {_ref(m.id): _model_card(m) for m in dossier.models}
    main = data["metadata"]["component"]
    for component in [main, *main.get("pedigree", {}).get("ancestors", [])]:
        card = cards.get(component.get("bom-ref"))
        if card is not None:
            component["modelCard"] = card
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
