"""GraphQL enums shared by several domains (names as in the contract; values as stored in the graph)."""

from __future__ import annotations

import enum

import strawberry

__all__ = ["CommercialStatusKind", "ConflictState", "ModelStatus", "Relation", "Severity", "enum_value"]


@strawberry.enum(description="How a child model was derived from a parent.")
class Relation(enum.Enum):
    FINETUNE = "finetune"
    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    UNKNOWN = "unknown"


@strawberry.enum
class ModelStatus(enum.Enum):
    AVAILABLE = "available"
    GATED = "gated"
    DELETED = "deleted"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


@strawberry.enum(description="The worst severity among a model's conflicts.")
class ConflictState(enum.Enum):
    NONE = "none"
    INFO = "info"
    WARNING = "warning"
    VIOLATION = "violation"


@strawberry.enum
class Severity(enum.Enum):
    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"


@strawberry.enum
class CommercialStatusKind(enum.Enum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    NON_COMMERCIAL = "non_commercial"
    RESEARCH_ONLY = "research_only"
    NO_DISTRIBUTION = "no_distribution"
    UNKNOWN = "unknown"


E = type[enum.Enum]


def enum_value(kind: type[enum.Enum], value: str | None, default: str = "unknown") -> enum.Enum:
    """The member of ``kind`` whose value is ``value`` (case-insensitive), else the ``default`` member."""
    text = (value or default).lower()
    try:
        return kind(text)
    except ValueError:
        return kind(default)
