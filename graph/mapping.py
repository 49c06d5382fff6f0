"""Observations → graph records (pure; no database).

``map_observations`` turns one batch of crawler observations into :class:`GraphRecords`:

* ``ModelSeen`` (available/gated) → a Model record (status and gate versioned), its
  publisher (``Party`` + ``PUBLISHED``), its declared licence resolved against the licence
  knowledge base (``License`` + ``DECLARES``; an unrecognised one also a problem),
  its datasets (``Dataset`` + ``TRAINED_ON``), and — when the observation is *full* — the set
  of parents it was seen with, so that parents no longer declared are closed;
  ``deleted`` → a status version only; ``unavailable`` → recorded without changing facts;
  ``unknown`` → a mention.
* ``DerivationSeen`` → one DERIVED_FROM record per (child, parent) holding every piece of
  evidence in the batch; both ends become Model mentions (status unknown until crawled).
* ``DeploymentSeen`` → ``Deployment`` + ``SERVES`` (+ operator ``Party`` + ``OPERATES``).
* ``FileSeen`` with a sha256 → ``File`` + ``HAS_FILE`` (files without sha256 are skipped).
* ``AliasSeen`` → an alias record (applied before anything else).
* ``ProblemSeen`` → a problem kept on the model.
* ``DeclarationHistory`` → dated records: the model's licence spans (resolved like a
  ``ModelSeen``'s) and, per parent its cards named, the spans it was declared — written after
  everything else to date the stored versions (graph.history, "versions dated by commit history").

Simple nodes and links named several times in a batch are collapsed to one record (latest
observation wins, earliest time kept as ``first_seen``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from crawler.observations import (
    AliasSeen,
    DeclarationHistory,
    DeclaredLicense,
    DeploymentSeen,
    DerivationSeen,
    FileSeen,
    ModelSeen,
    ModelStatus,
    Observation,
    ProblemKind,
    ProblemSeen,
    Source,
)
from graph.evidence import merge_evidence
from graph.history import DatedSegment, to_utc
from graph.records import (
    AliasRecord,
    DatedRecord,
    DerivationRecord,
    EvidenceRecord,
    GraphRecords,
    LinkRecord,
    LinkType,
    ModelMention,
    ModelRecord,
    NodeLabel,
    NodeRecord,
    ParentSet,
    ProblemRecord,
    PropValue,
    VersionedLink,
    VersionedLinkType,
)
from terms.licenses import resolve_license

__all__ = ["HUB", "map_observations", "rewrite_model_ids"]

HUB = "huggingface"
_FULL_STATUSES = (ModelStatus.AVAILABLE, ModelStatus.GATED)
R = TypeVar("R", NodeRecord, LinkRecord)


def _prov(source: Source) -> Source:
    """The source with its instant in UTC (as every record keeps it)."""
    return Source(url=source.url, revision=source.revision, observed_at=to_utc(source.observed_at))


def _props(**values: PropValue | None) -> dict[str, PropValue]:
    return {k: v for k, v in values.items() if v is not None}


def map_observations(
    observations: Iterable[Observation], *, full_models: Collection[str] | None = None
) -> GraphRecords:
    """Map a batch of observations to records.

    ``full_models``: ids whose ``ModelSeen`` in this batch comes with *all* the derivations
    observed for that model (so a parent missing from the batch is no longer declared).
    None means every available/gated ``ModelSeen`` in the batch is full.
    """
    out = GraphRecords()
    model_seen: list[ModelSeen] = []
    derivations: dict[tuple[str, str], list[EvidenceRecord]] = {}
    for obs in observations:
        if isinstance(obs, ModelSeen):
            model_seen.append(obs)
            _map_model(obs, out)
        elif isinstance(obs, DerivationSeen):
            prov = _prov(obs.source)
            derivations.setdefault((obs.child_id, obs.parent_id), []).append(
                EvidenceRecord(
                    kind=str(obs.evidence_kind),
                    detail=obs.evidence_detail,
                    relation=str(obs.relation),
                    confidence=float(obs.confidence),
                    url=prov.url,
                    revision=prov.revision,
                    first_seen=prov.observed_at,
                    last_seen=prov.observed_at,
                )
            )
            out.mentions.append(ModelMention(obs.child_id, prov))
            out.mentions.append(ModelMention(obs.parent_id, prov))
        elif isinstance(obs, DeploymentSeen):
            _map_deployment(obs, out)
        elif isinstance(obs, FileSeen):
            _map_file(obs, out)
        elif isinstance(obs, AliasSeen):
            if obs.old_id != obs.new_id:
                out.aliases.append(AliasRecord(obs.old_id, obs.new_id, _prov(obs.source)))
            else:
                out.skipped += 1
        elif isinstance(obs, ProblemSeen):
            prov = _prov(obs.source)
            out.problems.append(ProblemRecord(obs.model_id, str(obs.kind), obs.message, prov))
            out.mentions.append(ModelMention(obs.model_id, prov))
        elif isinstance(obs, DeclarationHistory):
            _map_history(obs, out)
        else:  # pragma: no cover - Observation is a closed union
            out.skipped += 1
    for (child, parent), evidence in derivations.items():
        out.derivations.append(DerivationRecord(child, parent, merge_evidence((), evidence)))
    parents_of: dict[str, set[str]] = {}
    for child, parent in derivations:
        parents_of.setdefault(child, set()).add(parent)
    for seen in model_seen:
        if seen.status in _FULL_STATUSES and (full_models is None or seen.id in full_models):
            out.parent_sets.append(
                ParentSet(seen.id, frozenset(parents_of.get(seen.id, ())), to_utc(seen.source.observed_at))
            )
    out.nodes = _collapse(out.nodes, lambda r: (r.label, r.key))
    out.links = _collapse(out.links, lambda r: (r.type, r.src, r.dst))
    observed = {m.id for m in out.models} | {m.id for m in out.unavailable}
    latest_first = sorted(out.mentions, key=lambda m: m.prov.observed_at, reverse=True)  # earliest kept
    out.mentions = list({m.id: m for m in latest_first if m.id not in observed}.values())
    return out


def _map_model(obs: ModelSeen, out: GraphRecords) -> None:
    prov = _prov(obs.source)
    if obs.status is ModelStatus.UNKNOWN:
        out.mentions.append(ModelMention(obs.id, prov))
        return
    if obs.status is ModelStatus.UNAVAILABLE:
        out.unavailable.append(ModelRecord(obs.id, prov, status=None, gate=None))
        return
    name = obs.id.rsplit("/", 1)[-1]
    if obs.status is ModelStatus.DELETED:
        out.models.append(ModelRecord(obs.id, prov, status=str(obs.status), gate=None, props=_props(hub=HUB, name=name)))
        return
    author = obs.author or (obs.id.split("/", 1)[0] if "/" in obs.id else None)
    declared = obs.declared_license or DeclaredLicense()
    props = _props(
        hub=HUB,
        name=name,
        author=author,
        pipeline_tag=obs.pipeline_tag,
        library=obs.library,
        created_at=None if obs.created_at is None else to_utc(obs.created_at),
        last_modified=None if obs.last_modified is None else to_utc(obs.last_modified),
        sha=obs.sha,
        downloads=obs.downloads,
        likes=obs.likes,
        params=obs.params,
        params_source=obs.params_source,
        training_compute_flops=obs.training_compute_flops,
        license_raw=declared.raw,
        license_name=declared.name,
        license_link=declared.link,
    )
    props["tags"] = list(obs.tags)
    props["datasets"] = list(obs.datasets)
    props["license_recorded"] = obs.license_recorded  # false: whether it declares a licence is not known
    gate = None if obs.gated is None else str(obs.gated)
    out.models.append(
        ModelRecord(obs.id, prov, status=str(obs.status), gate=gate, props=props, known_from=str(obs.known_from))
    )
    if author:
        out.nodes.append(NodeRecord(NodeLabel.PARTY, author, prov))
        out.versioned.append(VersionedLink(VersionedLinkType.PUBLISHED, obs.id, author, prov))
    _map_license(obs.id, declared, prov, out)
    for dataset in obs.datasets:
        out.nodes.append(NodeRecord(NodeLabel.DATASET, dataset, prov))
        out.links.append(LinkRecord(LinkType.TRAINED_ON, obs.id, dataset, prov))


def _map_license(model_id: str, declared: DeclaredLicense, prov: Source, out: GraphRecords) -> None:
    """The declared licence resolved once, here: ``License`` + ``DECLARES`` (the declaration verbatim)."""
    resolved = resolve_license(declared.id, declared.name, declared.link)
    if not resolved.declared:
        return
    out.nodes.append(NodeRecord(NodeLabel.LICENSE, resolved.license_id, prov))
    link_props = _props(raw=declared.raw, license_name=declared.name, license_link=declared.link)
    out.versioned.append(VersionedLink(VersionedLinkType.DECLARES, model_id, resolved.license_id, prov, link_props))
    if resolved.problem is not None:
        out.problems.append(ProblemRecord(model_id, str(ProblemKind.UNKNOWN_LICENSE), resolved.problem, prov))


def _map_history(obs: DeclarationHistory, out: GraphRecords) -> None:
    """Dated spans per fact; consecutive card versions declaring the same thing make one span."""
    prov = _prov(obs.source)
    versions = sorted(obs.versions, key=lambda v: to_utc(v.valid_from))
    licences: list[DatedSegment] = []
    for v in versions:
        declared = v.declared_license
        resolved = None if declared is None else resolve_license(declared.id, declared.name, declared.link)
        target = resolved.license_id if resolved is not None and resolved.declared else None
        if target is not None:
            out.nodes.append(NodeRecord(NodeLabel.LICENSE, target, prov))
        props = (
            {} if declared is None
            else _props(raw=declared.raw, license_name=declared.name, license_link=declared.link)
        )
        licences.append(_segment(target or "", v.valid_from, v.valid_to, v.revision, v.url, props))
    earliest = to_utc(versions[0].valid_from) if versions else None
    out.dated.append(DatedRecord(obs.model_id, None, _spans(licences), prov, earliest))
    parents: dict[str, list[DatedSegment]] = {}
    for v in versions:
        for base in v.base_models:
            props = {"relation": str(base.relation)}
            parents.setdefault(base.parent_id, []).append(
                _segment(base.parent_id, v.valid_from, v.valid_to, v.revision, v.url, props)
            )
    for parent, spans in parents.items():
        out.dated.append(DatedRecord(obs.model_id, parent, _spans(spans), prov))
        out.mentions.append(ModelMention(parent, prov))
    out.mentions.append(ModelMention(obs.model_id, prov))


def _segment(target: str, start: datetime, end: datetime | None, revision: str, url: str,
             props: dict[str, PropValue]) -> DatedSegment:
    return DatedSegment(target, to_utc(start), None if end is None else to_utc(end), revision, url, dict(props))


def _spans(segments: list[DatedSegment]) -> tuple[DatedSegment, ...]:
    """Adjacent segments of the same target joined (the earlier one's revision and evidence kept);
    segments declaring nothing (target "") dropped."""
    out: list[DatedSegment] = []
    for seg in segments:
        last = out[-1] if out else None
        if last is not None and last.target == seg.target and last.valid_to == seg.valid_from:
            out[-1] = replace(last, valid_to=seg.valid_to)
        else:
            out.append(seg)
    return tuple(s for s in out if s.target)


def _map_deployment(obs: DeploymentSeen, out: GraphRecords) -> None:
    prov = _prov(obs.source)
    props = _props(kind=str(obs.kind), status=obs.status, url=obs.url, operator=obs.operator)
    out.nodes.append(NodeRecord(NodeLabel.DEPLOYMENT, obs.id, prov, props))
    out.links.append(LinkRecord(LinkType.SERVES, obs.id, obs.model_id, prov, _props(status=obs.status)))
    out.mentions.append(ModelMention(obs.model_id, prov))
    if obs.operator:
        out.nodes.append(NodeRecord(NodeLabel.PARTY, obs.operator, prov))
        out.links.append(LinkRecord(LinkType.OPERATES, obs.operator, obs.id, prov))


def _map_file(obs: FileSeen, out: GraphRecords) -> None:
    if not obs.sha256:
        out.skipped += 1
        return
    prov = _prov(obs.source)
    sha = obs.sha256.strip().lower()  # hex digests compare case-insensitively; stored lower-case
    out.nodes.append(NodeRecord(NodeLabel.FILE, sha, prov, _props(name=obs.name, size=obs.size)))
    out.links.append(LinkRecord(LinkType.HAS_FILE, obs.model_id, sha, prov, _props(name=obs.name, size=obs.size)))
    out.mentions.append(ModelMention(obs.model_id, prov))


def _collapse(records: list[R], key: Callable[[R], Hashable]) -> list[R]:
    """One record per key: the latest observation's values, the earliest time as first_seen."""
    best: dict[Hashable, R] = {}
    earliest: dict[Hashable, datetime] = {}
    for rec in records:
        k = key(rec)
        t = rec.prov.observed_at
        earliest[k] = min(earliest.get(k, t), t)
        if k not in best or t >= best[k].prov.observed_at:
            best[k] = rec
    out = []
    for k, rec in best.items():
        if earliest[k] < rec.prov.observed_at:
            rec = replace(rec, first_seen=earliest[k])
        out.append(rec)
    return out


def rewrite_model_ids(records: GraphRecords, canonical: Mapping[str, str]) -> GraphRecords:
    """Records with every model id replaced by its canonical id (aliases resolved)."""
    if not canonical:
        return records

    def c(model_id: str) -> str:
        return canonical.get(model_id, model_id)

    out = GraphRecords(aliases=records.aliases, nodes=records.nodes, skipped=records.skipped)
    out.models = [replace(m, id=c(m.id)) for m in records.models]
    out.unavailable = [replace(m, id=c(m.id)) for m in records.unavailable]
    out.mentions = list({c(m.id): replace(m, id=c(m.id)) for m in records.mentions}.values())
    out.versioned = [replace(v, model_id=c(v.model_id)) for v in records.versioned]
    merged: dict[tuple[str, str], tuple[EvidenceRecord, ...]] = {}
    for d in records.derivations:
        key = (c(d.child), c(d.parent))
        merged[key] = merge_evidence(merged.get(key, ()), d.evidence)
    out.derivations = [DerivationRecord(ch, pa, ev) for (ch, pa), ev in merged.items()]
    out.parent_sets = [
        replace(p, child=c(p.child), parents=frozenset(c(x) for x in p.parents)) for p in records.parent_sets
    ]
    out.problems = [replace(p, model_id=c(p.model_id)) for p in records.problems]
    out.dated = [
        replace(d, model_id=c(d.model_id), parent=None if d.parent is None else c(d.parent),
                segments=d.segments if d.parent is None else tuple(replace(s, target=c(s.target)) for s in d.segments))
        for d in records.dated
    ]
    links = []
    for link in records.links:
        if link.type in (LinkType.TRAINED_ON, LinkType.HAS_FILE):
            link = replace(link, src=c(link.src))
        elif link.type is LinkType.SERVES:
            link = replace(link, dst=c(link.dst))
        links.append(link)
    out.links = _collapse(links, lambda r: (r.type, r.src, r.dst))
    return out
