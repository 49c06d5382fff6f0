"""The dossier read model: plain frozen data classes, and their stable JSON form.

A :class:`Dossier` holds everything an investigation shows about one model (or the model
holding one weight file) as the graph was at ``as_of``. ``to_json_dict`` gives the documented
JSON form (schema in ``SCHEMA.md`` next to this file); ``content_hash`` is computed over that
form without ``generated_at`` (see :mod:`reports.dossier.canonical`).
Evidence is referenced by id (``E1``, ``E2`` …) from every fact; the rows are in
:attr:`Dossier.evidence`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reports.dossier.times import format_instant
from terms.propagation import PropagationResult

__all__ = [
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "CappedList",
    "ChainStep",
    "ConflictEntry",
    "Declaration",
    "DeploymentEntry",
    "Deployments",
    "Derivation",
    "Dossier",
    "EvidenceRow",
    "FileHolder",
    "FileSubject",
    "HostCount",
    "LicenseInfo",
    "Lineage",
    "ModelEntry",
    "ObligationEntry",
    "PublisherVersion",
    "Sentence",
    "Span",
    "SpanKind",
    "UncheckedRule",
    "Unknown",
    "iso",
]

SCHEMA_ID = "lineage-dossier"
SCHEMA_VERSION = 2
"""Version of the JSON form; bump when a field changes shape or meaning (see SCHEMA.md)."""


def iso(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


class SpanKind(enum.StrEnum):
    """What a piece of a summary sentence is, so each format can show ids as ids."""

    TEXT = "text"
    MODEL = "model"
    PARTY = "party"
    LICENSE = "license"


@dataclass(frozen=True, slots=True)
class Span:
    kind: SpanKind
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """One plain sentence of the summary, in pieces (JSON carries the joined text)."""

    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """Where and when one fact was read: the ``id`` is what facts refer to."""

    id: str
    fact: str  # the fact it supports, in words
    model: str | None  # the model the fact is about (None for licence texts)
    # model_observation | licence_declaration | publisher | derivation | deployment | file | dataset | licence_text
    kind: str
    detail: str | None  # e.g. the evidence kind and what it said, for a derivation
    source_url: str | None
    revision: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    run: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "fact": self.fact, "model": self.model, "kind": self.kind, "detail": self.detail,
            "source_url": self.source_url, "revision": self.revision, "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen), "run": self.run,
        }


@dataclass(frozen=True, slots=True)
class Declaration:
    """One version of a model's declared licence (``in_force``: valid at the dossier's instant)."""

    license: str
    license_title: str | None  # the licence's name in the knowledge base
    raw: str | None  # what the hub said, verbatim
    license_name: str | None
    license_link: str | None
    valid_from: datetime | None
    valid_to: datetime | None
    in_force: bool
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "license": self.license, "license_title": self.license_title, "raw": self.raw,
            "license_name": self.license_name, "license_link": self.license_link,
            "valid_from": iso(self.valid_from), "valid_to": iso(self.valid_to), "in_force": self.in_force,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class PublisherVersion:
    party: str
    valid_from: datetime | None
    valid_to: datetime | None
    in_force: bool
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"party": self.party, "valid_from": iso(self.valid_from), "valid_to": iso(self.valid_to),
                "in_force": self.in_force, "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class ConflictEntry:
    rule: str
    severity: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message}


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A model on the chain (depth 0 is the subject) as it was at the dossier's instant."""

    id: str
    depth: int
    known: bool  # observed itself (not only named as someone's parent, nor unreachable)
    status: str
    gated: str | None
    publisher: str | None
    publisher_basis: str  # published (a PUBLISHED record) | namespace (the repo id) | unknown
    license: str | None  # the licence declared at the instant; None = none declared
    license_title: str | None
    declarations: tuple[Declaration, ...]  # every version, oldest first
    publishers: tuple[PublisherVersion, ...]
    name: str | None
    pipeline_tag: str | None
    library: str | None
    sha: str | None
    created_at: datetime | None
    last_modified: datetime | None
    params: float | None
    datasets: tuple[str, ...]
    aliases: tuple[str, ...]
    stale: bool
    known_from: str | None  # listed (a hub listing only) | crawled (the model itself read) | None (not recorded)
    listed_at: datetime | None
    crawled_at: datetime | None
    first_seen: datetime | None
    last_seen: datetime | None
    role: str | None  # the engine's role for its publisher (None when not in the engine's view)
    licenses_in_force: tuple[str, ...]
    conflicts: tuple[ConflictEntry, ...]
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "depth": self.depth, "known": self.known, "status": self.status, "gated": self.gated,
            "publisher": self.publisher, "publisher_basis": self.publisher_basis, "license": self.license,
            "license_title": self.license_title, "declarations": [d.to_json() for d in self.declarations],
            "publishers": [p.to_json() for p in self.publishers], "name": self.name,
            "pipeline_tag": self.pipeline_tag, "library": self.library, "sha": self.sha,
            "created_at": iso(self.created_at), "last_modified": iso(self.last_modified), "params": self.params,
            "datasets": list(self.datasets), "aliases": list(self.aliases), "stale": self.stale,
            "known_from": self.known_from, "listed_at": iso(self.listed_at), "crawled_at": iso(self.crawled_at),
            "first_seen": iso(self.first_seen), "last_seen": iso(self.last_seen), "role": self.role,
            "licenses_in_force": list(self.licenses_in_force), "conflicts": [c.to_json() for c in self.conflicts],
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class ObligationEntry:
    id: str
    text: str
    license: str | None
    basis: str  # licence | ai_act | dsa

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "license": self.license, "basis": self.basis}


@dataclass(frozen=True, slots=True)
class ChainStep:
    """One party on the chain: the model's own parties back to the original providers, then its hosts."""

    model: str
    depth: int
    party: str | None
    role: str  # a terms.propagation Role value, or "unknown" for a model never observed
    relation: str | None  # how this model derives from its parents
    deployment: str | None
    licenses: tuple[str, ...]  # licences in force on the model at this step
    obligations: tuple[ObligationEntry, ...]
    known: bool
    unknown: str | None = None  # what is not known at this step (a parent not recorded) and what points elsewhere

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "depth": self.depth, "party": self.party, "role": self.role,
            "relation": self.relation, "deployment": self.deployment, "licenses": list(self.licenses),
            "obligations": [o.to_json() for o in self.obligations], "known": self.known, "unknown": self.unknown,
        }


@dataclass(frozen=True, slots=True)
class Derivation:
    """A DERIVED_FROM version in force at the instant, with the evidence observed by then."""

    child: str
    parent: str
    relation: str
    confidence: float
    valid_from: datetime
    valid_to: datetime | None
    evidence: tuple[str, ...]
    later_evidence: int  # pieces first observed after the instant (left out)

    def to_json(self) -> dict[str, Any]:
        return {
            "child": self.child, "parent": self.parent, "relation": self.relation, "confidence": self.confidence,
            "valid_from": iso(self.valid_from), "valid_to": iso(self.valid_to), "evidence": list(self.evidence),
            "later_evidence": self.later_evidence,
        }


@dataclass(frozen=True, slots=True)
class Lineage:
    paths: tuple[tuple[str, ...], ...]  # every simple path from the subject up to a root (or a closing cycle)
    roots: tuple[str, ...]
    derivations: tuple[Derivation, ...]
    cycles: tuple[tuple[str, ...], ...]  # each as a closed walk: a → b → … → a
    truncated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "paths": [list(p) for p in self.paths], "roots": list(self.roots),
            "derivations": [d.to_json() for d in self.derivations], "cycles": [list(c) for c in self.cycles],
            "truncated": self.truncated,
        }


@dataclass(frozen=True, slots=True)
class DeploymentEntry:
    id: str
    kind: str | None
    status: str | None
    url: str | None
    operator: str | None
    model: str  # the model it serves: the subject (depth 0) or a descendant
    depth: int
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "status": self.status, "url": self.url, "operator": self.operator,
            "model": self.model, "depth": self.depth, "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class CappedList:
    """A served model whose list of one kind of host reached its source's cap (more may exist)."""

    model: str
    listed: int

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "listed": self.listed}


@dataclass(frozen=True, slots=True)
class HostCount:
    """The deployments of one kind reached (every one counted, not only those listed)."""

    kind: str  # a crawler.observations.DeploymentKind value
    total: int
    direct: int  # of them serving the subject itself (depth 0)
    models: int  # distinct models they serve
    source_cap: int | None  # the most the source lists per model (the Hub: 100 Spaces); None: not capped
    capped: tuple[CappedList, ...]  # models whose list reached source_cap: the total is a floor

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "total": self.total, "direct": self.direct, "models": self.models,
                "source_cap": self.source_cap, "capped": [c.to_json() for c in self.capped]}


@dataclass(frozen=True, slots=True)
class Deployments:
    total: int
    by_kind: tuple[HostCount, ...]
    listed: tuple[DeploymentEntry, ...]

    @property
    def truncated(self) -> bool:
        return len(self.listed) < self.total

    @property
    def capped(self) -> bool:
        """A source capped some list: the totals are floors, more may exist."""
        return any(h.capped for h in self.by_kind)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "by_kind": [h.to_json() for h in self.by_kind],
                "listed": [d.to_json() for d in self.listed], "truncated": self.truncated}


@dataclass(frozen=True, slots=True)
class FileHolder:
    model: str
    name: str | None
    size: int | None
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "name": self.name, "size": self.size, "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class FileSubject:
    """The weight file an investigation started from, and every model holding it."""

    sha256: str
    holders: tuple[FileHolder, ...]  # the dossier's subject first

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "holders": [h.to_json() for h in self.holders]}


@dataclass(frozen=True, slots=True)
class LicenseInfo:
    """A licence named in the dossier, as the knowledge base describes it (with its sources)."""

    id: str
    title: str | None  # None: not in the knowledge base
    spdx: str | None
    sources: tuple[str, ...]
    verified: bool
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "spdx": self.spdx, "sources": list(self.sources),
                "verified": self.verified, "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class UncheckedRule:
    """A conflict rule the engine could not check for the subject, and the datum it lacked."""

    rule: str
    severity: str | None
    meaning: str | None
    needs: str

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "meaning": self.meaning, "needs": self.needs}


@dataclass(frozen=True, slots=True)
class Unknown:
    """Something the dossier cannot tell, stated as such: about what, and why."""

    subject: str
    what: str

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "what": self.what}


@dataclass(frozen=True, slots=True)
class Dossier:
    asked: str  # what the investigation was asked about (a model id, an old id, or a sha256)
    subject: str  # the model the dossier is about (current id)
    file: FileSubject | None
    as_of: datetime | None  # None: the graph as currently recorded
    latest_observation: datetime | None  # the newest observation among the facts shown
    kb_version: str
    summary: tuple[Sentence, ...]
    models: tuple[ModelEntry, ...]
    chain: tuple[ChainStep, ...]
    lineage: Lineage
    result: PropagationResult | None  # None only when the subject is not in the engine's view
    licenses: tuple[LicenseInfo, ...]
    deployments: Deployments
    unknowns: tuple[Unknown, ...]
    unchecked: tuple[UncheckedRule, ...]
    evidence: tuple[EvidenceRow, ...]
    content_hash: str
    generated_at: datetime

    def model(self, model_id: str) -> ModelEntry | None:
        return next((m for m in self.models if m.id == model_id), None)

    def content_dict(self) -> dict[str, Any]:
        """The JSON form without ``content_hash`` and ``generated_at``: what the hash covers."""
        return {
            "schema": SCHEMA_ID,
            "schema_version": SCHEMA_VERSION,
            "asked": self.asked,
            "subject": self.subject,
            "file": None if self.file is None else self.file.to_json(),
            "as_of": iso(self.as_of),
            "latest_observation": iso(self.latest_observation),
            "kb_version": self.kb_version,
            "summary": [s.text for s in self.summary],
            "models": [m.to_json() for m in self.models],
            "chain": [s.to_json() for s in self.chain],
            "lineage": self.lineage.to_json(),
            "effective": None if self.result is None else self.result.to_json_dict(include_terms=True),
            "conflicts": [] if self.result is None else [c.to_json() for c in self.result.conflicts],
            "licenses": [lic.to_json() for lic in self.licenses],
            "deployments": self.deployments.to_json(),
            "unknowns": [u.to_json() for u in self.unknowns],
            "unchecked_rules": [u.to_json() for u in self.unchecked],
            "evidence": [e.to_json() for e in self.evidence],
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The full JSON form (serialise with sorted keys: see reports.dossier.canonical)."""
        data = self.content_dict()
        data["content_hash"] = self.content_hash
        data["generated_at"] = iso(self.generated_at)
        return data
