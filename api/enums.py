"""The domain's enums exposed to GraphQL: each is the owning package's class itself, registered
under its contract name (members answer by name, e.g. ``FINETUNE``; values stay as stored).

Observation vocabulary comes from :mod:`crawler.observations`; severities and conflict states
from :mod:`terms.propagation.rules`; the commercial outcome and the responsibility roles from
:mod:`terms.propagation.result`.
Registering marks the class in place, so the names below are usable as annotations.
"""

from __future__ import annotations

import strawberry

from crawler.observations import DeploymentKind, KnownFrom, ModelStatus, Relation
from terms.propagation.result import CommercialOutcome as CommercialStatusKind
from terms.propagation.result import Role
from terms.propagation.rules import ConflictState, Severity

__all__ = [
    "CommercialStatusKind",
    "ConflictState",
    "DeploymentKind",
    "KnownFrom",
    "ModelStatus",
    "Relation",
    "Role",
    "Severity",
]

strawberry.enum(Relation, name="Relation", description="How a child model was derived from a parent.")
strawberry.enum(ModelStatus, name="ModelStatus")
strawberry.enum(
    KnownFrom,
    name="KnownFrom",
    description=(
        "What the graph's facts of a model rest on: LISTED — an item of the hub's model listing (declared lineage "
        "and licence, dates, counts; no files, card text or configs); CRAWLED — the model's own page, files, card "
        "and configs were read."
    ),
)
strawberry.enum(DeploymentKind, name="DeploymentKind", description="What kind of deployment is registered.")
strawberry.enum(ConflictState, name="ConflictState", description="The worst severity among a model's conflicts.")
strawberry.enum(Severity, name="Severity")
strawberry.enum(CommercialStatusKind, name="CommercialStatusKind")
strawberry.enum(
    Role,
    name="Role",
    description=(
        "A party's role on a responsibility chain. ORIGINAL_PROVIDER only for a model known to have no parent (its "
        "publisher licenses the licence it declares, or is a listed pretraining organisation); PARENT_NOT_RECORDED "
        "for a parentless model not known to be an original; USER — anyone who uses the model or its outputs; "
        "LICENSOR — the licensor of material a model declares whose parent is not recorded."
    ),
)
