"""Lay out what the reads and the engine returned as a :class:`Dossier` (pure; no database).

Evidence rows are added in a fixed order — models (the subject, then ancestors by depth and
id; each: its record, licence versions, publisher versions, datasets), derivations (by child
and parent), deployments, file holders, licence texts — so the same inputs give the same ids
and therefore the same content hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from typing import Any

from graph.history import valid_at
from reports.dossier.evidence import EvidenceBook, prov_time
from reports.dossier.model import (
    ChainStep,
    ConflictEntry,
    Declaration,
    DeploymentEntry,
    Deployments,
    Derivation,
    Dossier,
    FileHolder,
    FileSubject,
    LicenseInfo,
    Lineage,
    ModelEntry,
    ObligationEntry,
    PublisherVersion,
)
from reports.dossier.hosts import count_hosts
from reports.dossier.summary import summarise
from reports.dossier.unknowns import collect_unchecked, collect_unknowns
from terms.licenses import LicenseCatalog
from terms.propagation import PropagationResult, ResponsibilityStep, Role
from graph.reads import Ancestry, Deployment, FileMatch, LineageEdge, ModelRef
from graph.reads.types import ModelFacts

__all__ = ["Inputs", "find_cycles", "lay_out"]

_NOT_OBSERVED = ("unknown", "unavailable")
_NO_LICENCE = ("unknown", "none")


@dataclass(frozen=True)
class Inputs:
    """Everything read for one dossier."""

    asked: str
    as_of: datetime | None
    ancestry: Ancestry
    facts: Mapping[str, ModelFacts]
    provenance: Mapping[str, Any]  # model id -> CHAIN_PROVENANCE row
    results: Mapping[str, PropagationResult]
    chain: tuple[ResponsibilityStep, ...]
    reached: tuple[Deployment, ...]
    listed: tuple[Deployment, ...]
    serves: Mapping[tuple[str, str], Mapping[str, Any]]
    sha256: str | None
    holders: tuple[FileMatch, ...]
    files: Mapping[str, Mapping[str, Any]]
    catalog: LicenseCatalog


def lay_out(inputs: Inputs, *, generated_at: datetime) -> Dossier:
    """The dossier (content hash not yet set: see ``assemble._sealed``)."""
    book = EvidenceBook()
    refs = [(inputs.ancestry.model, 0), *((n.model, n.depth) for n in inputs.ancestry.ancestors)]
    models = tuple(_model_entry(inputs, ref, depth, book) for ref, depth in refs)
    by_id = {m.id: m for m in models}
    derivations = tuple(_derivation(e, inputs.as_of, book) for e in inputs.ancestry.edges)
    ancestry = inputs.ancestry
    lineage = Lineage(
        paths=ancestry.paths,
        roots=ancestry.roots,
        derivations=derivations,
        cycles=find_cycles(ancestry.model.id, ancestry.paths, [(e.child, e.parent) for e in ancestry.edges]),
        truncated=ancestry.truncated,
    )
    deployments = Deployments(len(inputs.reached), count_hosts(inputs.reached),
                              tuple(_deployment(d, inputs.serves, book) for d in inputs.listed))
    file_subject = _file_subject(inputs, book)
    result = inputs.results.get(ancestry.model.id)
    chain = _chain(inputs.chain, models, by_id, derivations)
    licenses = _licenses(inputs.catalog, models, result, chain, book)
    draft = Dossier(
        asked=inputs.asked,
        subject=ancestry.model.id,
        file=file_subject,
        as_of=inputs.as_of,
        latest_observation=book.latest(),
        kb_version=inputs.catalog.version,
        summary=(),
        models=models,
        chain=chain,
        lineage=lineage,
        result=result,
        licenses=licenses,
        deployments=deployments,
        unknowns=(),
        unchecked=(),
        evidence=book.rows,
        content_hash="",
        generated_at=generated_at,
    )
    draft = replace(draft, unknowns=collect_unknowns(draft), unchecked=collect_unchecked(draft))
    return replace(draft, summary=summarise(draft))


# -- models ------------------------------------------------------------------------------------


def _model_entry(inputs: Inputs, ref: ModelRef, depth: int, book: EvidenceBook) -> ModelEntry:
    as_of = inputs.as_of
    facts = inputs.facts.get(ref.id)
    known = ref.status not in _NOT_OBSERVED
    record = "model record" if known else "named as a parent (never observed itself)"
    evidence = [
        book.add(
            fact=f"{ref.id}: {record}",
            kind="model_observation",
            model=ref.id,
            detail=f"status {ref.status}" + (f", gate {ref.gated}" if ref.gated else ""),
            source_url=ref.source_url,
            revision=ref.revision,
            first_seen=ref.first_seen,
            last_seen=ref.last_seen,
            run=ref.last_run,
        )
    ]
    prov = inputs.provenance.get(ref.id) or {}
    declarations = tuple(
        _declaration(ref.id, d, as_of, inputs.catalog, book) for d in _by_start(prov.get("declarations"))
    )
    publishers = tuple(_publisher(ref.id, p, as_of, book) for p in _by_start(prov.get("publishers")))
    datasets: list[str] = []
    for row in sorted(prov.get("datasets") or [], key=lambda r: str(r["dataset"])):
        seen = prov_time(row.get("first_seen"))
        if as_of is not None and seen is not None and seen > as_of:
            continue
        datasets.append(str(row["dataset"]))
        evidence.append(book.add_prov(row, fact=f"{ref.id} was trained on dataset {row['dataset']}",
                                      kind="dataset", model=ref.id))
    in_force = [d for d in declarations if d.in_force]
    licence = in_force[-1].license if in_force else ref.declared_license
    publisher, basis = _publisher_at(ref, publishers)
    result = inputs.results.get(ref.id)
    return ModelEntry(
        id=ref.id,
        depth=depth,
        known=known,
        status=ref.status,
        gated=ref.gated,
        publisher=publisher,
        publisher_basis=basis,
        license=licence,
        license_title=_title(inputs.catalog, licence),
        declarations=declarations,
        publishers=publishers,
        name=facts.name if facts else None,
        pipeline_tag=facts.pipeline_tag if facts else None,
        library=facts.library if facts else None,
        sha=facts.sha if facts else None,
        created_at=facts.created_at if facts else None,
        last_modified=facts.last_modified if facts else None,
        params=facts.params if facts else None,
        datasets=tuple(datasets),
        aliases=ref.aliases,
        stale=ref.stale,
        known_from=None if facts is None or facts.known_from is None else facts.known_from.value,
        listed_at=facts.listed_at if facts else None,
        crawled_at=facts.crawled_at if facts else None,
        first_seen=ref.first_seen,
        last_seen=ref.last_seen,
        role=result.role.value if result is not None else None,
        licenses_in_force=tuple(sorted({lic.license_id for lic in result.licenses})) if result is not None else (),
        conflicts=tuple(ConflictEntry(c.rule, c.severity.value, c.message) for c in result.conflicts)
        if result is not None
        else (),
        evidence=tuple(evidence),
    )


def _by_start(rows: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    return sorted(rows or [], key=lambda r: (r.get("valid_from") or 0, str(r.get("license") or r.get("party"))))


def _title(catalog: LicenseCatalog, license_id: str | None) -> str | None:
    if license_id is None or license_id in _NO_LICENCE or license_id not in catalog:
        return None
    return catalog.get(license_id).name


def _declaration(model_id: str, row: Mapping[str, Any], as_of: datetime | None, catalog: LicenseCatalog,
                 book: EvidenceBook) -> Declaration:
    licence = str(row["license"])
    raw = row.get("raw")
    detail = f"declared {raw!r}" if raw else None
    if row.get("license_name"):
        detail = (detail + ", " if detail else "") + f"license_name {row['license_name']!r}"
    ev = book.add_prov(row, fact=f"{model_id} declares licence {licence}", kind="licence_declaration",
                       model=model_id, detail=detail)
    return Declaration(
        license=licence,
        license_title=_title(catalog, licence),
        raw=raw,
        license_name=row.get("license_name"),
        license_link=row.get("license_link"),
        valid_from=prov_time(row.get("valid_from")),
        valid_to=prov_time(row.get("valid_to")),
        in_force=valid_at(row.get("valid_from"), row.get("valid_to"), as_of),
        evidence=(ev,),
    )


def _publisher(model_id: str, row: Mapping[str, Any], as_of: datetime | None, book: EvidenceBook) -> PublisherVersion:
    party = str(row["party"])
    ev = book.add_prov(row, fact=f"{party} publishes {model_id}", kind="publisher", model=model_id)
    return PublisherVersion(
        party=party,
        valid_from=prov_time(row.get("valid_from")),
        valid_to=prov_time(row.get("valid_to")),
        in_force=valid_at(row.get("valid_from"), row.get("valid_to"), as_of),
        evidence=(ev,),
    )


def _publisher_at(ref: ModelRef, versions: tuple[PublisherVersion, ...]) -> tuple[str | None, str]:
    in_force = [p for p in versions if p.in_force]
    if in_force:
        return in_force[-1].party, "published"
    if "/" in ref.id:
        return ref.id.split("/", 1)[0], "namespace"
    return None, "unknown"


# -- lineage -----------------------------------------------------------------------------------


def _derivation(edge: LineageEdge, as_of: datetime | None, book: EvidenceBook) -> Derivation:
    pieces = sorted(edge.evidence, key=lambda p: (p.first_seen, p.kind, p.detail, p.source_url))
    kept = [p for p in pieces if as_of is None or p.first_seen <= as_of] or pieces
    fact = f"{edge.child} derives from {edge.parent} ({edge.relation})"
    ids = [
        book.add(
            fact=fact,
            kind="derivation",
            model=edge.child,
            detail=f"{p.kind}: {p.detail} (relation {p.relation}, confidence {p.confidence:g})",
            source_url=p.source_url,
            revision=p.revision,
            first_seen=p.first_seen,
            last_seen=p.last_seen,
        )
        for p in kept
    ]
    if not ids:  # an edge without evidence pieces: its own provenance
        ids.append(book.add(fact=fact, kind="derivation", model=edge.child, source_url=edge.source_url,
                            revision=edge.revision, first_seen=edge.first_seen, last_seen=edge.last_seen,
                            run=edge.last_run))
    return Derivation(
        child=edge.child,
        parent=edge.parent,
        relation=edge.relation,
        confidence=edge.confidence,
        valid_from=edge.valid_from,
        valid_to=edge.valid_to,
        evidence=tuple(ids),
        later_evidence=len(pieces) - len(kept),
    )


def find_cycles(
    start: str, paths: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]]
) -> tuple[tuple[str, ...], ...]:
    """Every cycle met on the paths up from ``start``, each as a closed walk (a, b, …, a), deduplicated."""
    parents: dict[str, set[str]] = {}
    for child, parent in edges:
        parents.setdefault(child, set()).add(parent)
    found: dict[frozenset[tuple[str, str]], tuple[str, ...]] = {}
    for path in [*paths, (start,)]:
        for i, node in enumerate(path):
            for parent in sorted(parents.get(node, ())):
                if parent in path[: i + 1]:
                    walk = (*path[path.index(parent) : i + 1], parent)
                    key = frozenset(pairwise(walk))
                    found.setdefault(key, _rotate(walk))
    return tuple(sorted(found.values()))


def _rotate(walk: tuple[str, ...]) -> tuple[str, ...]:
    """A closed walk starting at its smallest id (so the same cycle always reads the same)."""
    ring = walk[:-1]
    i = ring.index(min(ring))
    turned = ring[i:] + ring[:i]
    return (*turned, turned[0])


# -- deployments, files, licences, chain ----------------------------------------------------------


def _deployment(
    dep: Deployment, serves: Mapping[tuple[str, str], Mapping[str, Any]], book: EvidenceBook
) -> DeploymentEntry:
    prov = serves.get((dep.id, dep.model_id)) or {"first_seen": dep.first_seen, "last_seen": dep.last_seen}
    ev = book.add_prov(prov, fact=f"{dep.id} serves {dep.model_id}", kind="deployment", model=dep.model_id,
                       detail=", ".join(x for x in (dep.kind, dep.status) if x) or None)
    return DeploymentEntry(dep.id, dep.kind, dep.status, dep.url, dep.operator, dep.model_id, dep.depth, (ev,))


def _file_subject(inputs: Inputs, book: EvidenceBook) -> FileSubject | None:
    if inputs.sha256 is None:
        return None
    holders = []
    for match in inputs.holders:
        prov = inputs.files.get(match.model.id) or {}
        ev = book.add_prov(prov, fact=f"{match.model.id} holds the file {inputs.sha256}", kind="file",
                           model=match.model.id, detail=match.file_name)
        holders.append(FileHolder(match.model.id, match.file_name, match.size, (ev,)))
    return FileSubject(inputs.sha256, tuple(holders))


def _licenses(catalog: LicenseCatalog, models: tuple[ModelEntry, ...], result: PropagationResult | None,
              chain: tuple[ChainStep, ...], book: EvidenceBook) -> tuple[LicenseInfo, ...]:
    ids: set[str] = set()
    for m in models:
        ids.update(d.license for d in m.declarations if d.in_force)
        ids.update(m.licenses_in_force)
    for step in chain:
        ids.update(step.licenses)
    if result is not None:
        ids.update(lic.license_id for lic in result.licenses)
    out = []
    for license_id in sorted(ids - set(_NO_LICENCE)):
        if license_id not in catalog:
            out.append(LicenseInfo(license_id, None, None, (), False, ()))
            continue
        entry = catalog.get(license_id)
        detail = f"knowledge base {catalog.version}" + ("" if entry.verified else "; entry not verified")
        fact = f"terms of {license_id} ({entry.name})"
        evidence = tuple(book.add(fact=fact, kind="licence_text", detail=detail, source_url=url)
                         for url in entry.sources) or (book.add(fact=fact, kind="licence_text",
                                                                detail=detail + "; no source recorded"),)
        out.append(LicenseInfo(license_id, entry.name, entry.spdx, tuple(entry.sources), entry.verified, evidence))
    return tuple(out)


def _chain(steps: tuple[ResponsibilityStep, ...], models: tuple[ModelEntry, ...], by_id: Mapping[str, ModelEntry],
           derivations: tuple[Derivation, ...]) -> tuple[ChainStep, ...]:
    if not steps:  # the subject is not in the engine's view (never observed itself): facts only
        relations: dict[str, set[str]] = {}
        for d in derivations:
            relations.setdefault(d.child, set()).add(d.relation)
        return tuple(
            ChainStep(m.id, m.depth, m.publisher, "unknown", _one_relation(relations.get(m.id)), None,
                      (m.license,) if m.license else (), (), m.known)
            for m in models
        )
    out = []
    served = sorted((s for s in steps if s.deployment_id is not None), key=lambda s: str(s.deployment_id))
    # the model's own parties first (users, publisher, … original provider, licensor), then its hosts;
    # a fixed order: the hash depends on it
    for step in [*(s for s in steps if s.deployment_id is None), *served]:
        obligations = tuple(ObligationEntry(o.id, o.text, o.license_id, o.basis) for o in step.obligations)
        if step.deployment_id is not None or step.role in (Role.USER, Role.LICENSOR):  # parties, not the publisher
            out.append(ChainStep(step.model_id, step.depth, step.party_id, step.role.value, None, step.deployment_id,
                                 step.licenses, obligations, True, step.unknown))
            continue
        entry = by_id.get(step.model_id)
        if entry is None or not entry.known:
            party = entry.publisher if entry is not None else None
            out.append(ChainStep(step.model_id, step.depth, party, "unknown", step.relation, None, (), (), False))
            continue
        out.append(ChainStep(step.model_id, step.depth, entry.publisher or step.party_id, step.role.value,
                             step.relation, None, step.licenses, obligations, True, step.unknown))
    return tuple(out)


def _one_relation(values: set[str] | None) -> str | None:
    if not values:
        return None
    return next(iter(values)) if len(values) == 1 else "merge"

