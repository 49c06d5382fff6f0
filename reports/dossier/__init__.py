"""Investigation dossiers: who made each step of a model's lineage, under which terms, with evidence.

Quick use::

    from reports.dossier import investigate, parse_as_of
    dossier = investigate(driver, "bartowski/gemma-2-9b-it-GGUF", as_of=parse_as_of("2024-09-01"))
    dossier.to_json_dict()          # the documented JSON form (SCHEMA.md), with its content hash

The dossier is assembled by a read plan (:func:`plan_dossier`) from the shared graph reads and
the propagation engine, so the API runs the very same plan over its async driver.
"""

from reports.dossier.asof import check_as_of, format_instant, parse_as_of
from reports.dossier.assemble import DEFAULT_MAX_DEPLOYMENTS, investigate, plan_dossier
from reports.dossier.canonical import canonical_bytes, content_hash, dumps
from reports.dossier.errors import InvalidAsOf, NotKnownAtInstant, UnknownFile
from reports.dossier.model import (
    SCHEMA_ID,
    SCHEMA_VERSION,
    CappedList,
    ChainStep,
    ConflictEntry,
    Declaration,
    DeploymentEntry,
    Deployments,
    Derivation,
    Dossier,
    EvidenceRow,
    FileHolder,
    FileSubject,
    HostCount,
    LicenseInfo,
    Lineage,
    ModelEntry,
    ObligationEntry,
    PublisherVersion,
    Sentence,
    Span,
    SpanKind,
    UncheckedRule,
    Unknown,
)
from reports.dossier.summary import RELATION_WORDS, human_date

__all__ = [
    "DEFAULT_MAX_DEPLOYMENTS",
    "RELATION_WORDS",
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
    "InvalidAsOf",
    "LicenseInfo",
    "Lineage",
    "ModelEntry",
    "NotKnownAtInstant",
    "ObligationEntry",
    "PublisherVersion",
    "Sentence",
    "Span",
    "SpanKind",
    "UncheckedRule",
    "Unknown",
    "UnknownFile",
    "canonical_bytes",
    "check_as_of",
    "content_hash",
    "dumps",
    "format_instant",
    "human_date",
    "investigate",
    "parse_as_of",
    "plan_dossier",
]
