"""What a change record is: its kind and its fields."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph.history import to_iso

__all__ = ["FACT_KINDS", "RESULT_KINDS", "Change", "ChangeKind"]


class ChangeKind(enum.StrEnum):
    """One kind of change (the GraphQL ``ChangeKind`` enum has the same names)."""

    MODEL_ADDED = "model_added"  # the hub listed or served the model for the first time (with what it declares)
    MODEL_DELETED = "model_deleted"  # the hub says the repo no longer exists
    MODEL_GATED = "model_gated"  # access now needs the author's approval (auto or manual)
    MODEL_UNGATED = "model_ungated"
    LICENSE_CHANGED = "license_changed"  # declared licence old → new (old None: first declared)
    DERIVATION_ADDED = "derivation_added"  # a parent the model now declares
    DERIVATION_CLOSED = "derivation_closed"  # a parent the model no longer declares
    DEPLOYMENT_ADDED = "deployment_added"  # a space, endpoint, provider or registered deployment serves it
    EFFECTIVE_TERMS_CHANGED = "effective_terms_changed"  # licences or terms in force, dropped or violated
    CONFLICT_OPENED = "conflict_opened"
    CONFLICT_RESOLVED = "conflict_resolved"


FACT_KINDS = frozenset({
    ChangeKind.MODEL_ADDED, ChangeKind.MODEL_DELETED, ChangeKind.MODEL_GATED, ChangeKind.MODEL_UNGATED,
    ChangeKind.LICENSE_CHANGED, ChangeKind.DERIVATION_ADDED, ChangeKind.DERIVATION_CLOSED,
    ChangeKind.DEPLOYMENT_ADDED,
})
"""Changes of what the hub or an operator says about a model: the *source* of an event."""

RESULT_KINDS = frozenset(ChangeKind) - FACT_KINDS
"""Changes of propagation results: the *consequences* of fact changes upstream (or of a new knowledge base)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change record.

    ``details`` by kind: LICENSE_CHANGED ``{old, new, validFrom}``; DERIVATION_* ``{parent, relation,
    validFrom}``; DEPLOYMENT_ADDED ``{deployment}``; MODEL_ADDED ``{knownFrom, license, licenseValidFrom, parents: [{parent,
    relation, validFrom}], deployments}`` (a new model is one record, not one per fact); MODEL_GATED /
    UNGATED ``{old, new}``; EFFECTIVE_TERMS_CHANGED ``{licensesAdded, licensesRemoved, termsAdded,
    termsRemoved, droppedAdded, droppedRemoved, violatedAdded, violatedRemoved, commercialOld,
    commercialNew}``; CONFLICT_* ``{rule, severity, path, licenses}`` (path: model ids from the model
    towards the source). ``licenses`` and ``terms`` are what licence and term scopes match on.
    Evidence: ``source_url``, ``revision`` and ``observed_at`` of the model's record the batch wrote
    (fact changes), or the knowledge-base version the result was computed with (result changes).
    """

    id: str
    kind: ChangeKind
    model_id: str
    batch: str
    recorded_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    licenses: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    source_url: str | None = None
    revision: str | None = None
    observed_at: datetime | None = None
    kb_version: str | None = None

    @property
    def is_fact(self) -> bool:
        return self.kind in FACT_KINDS

    def to_json(self) -> dict[str, Any]:
        """The record as sent in events and by ``lineage changes --json`` (ISO 8601 times, camelCase)."""
        return {
            "id": self.id, "kind": self.kind.name, "modelId": self.model_id, "batch": self.batch,
            "recordedAt": to_iso(self.recorded_at), "details": self.details, "licenses": list(self.licenses),
            "terms": list(self.terms),
            "evidence": {"sourceUrl": self.source_url, "revision": self.revision,
                         "observedAt": to_iso(self.observed_at), "kbVersion": self.kb_version},
        }

    def details_json(self) -> str:
        return json.dumps(self.details, sort_keys=True, separators=(",", ":"))
