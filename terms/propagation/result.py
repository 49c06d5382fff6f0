"""Output of the propagation engine: one :class:`PropagationResult` per model.

Every part names where it comes from (licence ids and the path of models). ``to_properties``
gives a flat, versioned mapping of Neo4j-storable values (``eff_*`` keys) that the store
materialises on the ``Model`` node; ``eff_json`` holds the full detail as canonical JSON.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from crawler.observations import Relation
from terms.licenses.model import CommercialStatus, EuOssEligibility, TriState
from terms.propagation.rules import Severity

__all__ = [
    "RESULT_VERSION",
    "CommercialOutcome",
    "CommercialResult",
    "Conflict",
    "EffectiveLicense",
    "EffectiveTerm",
    "EuAiActResult",
    "Obligation",
    "PathStep",
    "PropagationResult",
    "Properties",
    "ResponsibilityStep",
    "Role",
    "Scope",
]

Properties = dict[str, str | int | float | bool | list[str] | None]
"""Flat property map of one result (Neo4j-storable values only)."""

try:  # orjson encodes a result ~8x faster; the standard library gives the same JSON data
    import orjson

    def _dumps(data: Any) -> str:
        return orjson.dumps(data).decode("utf-8")

except ImportError:  # pragma: no cover - depends on the installation

    def _dumps(data: Any) -> str:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


RESULT_VERSION = 2
"""Version of the materialised form; bump when ``to_properties`` changes shape or meaning."""


class CommercialOutcome(enum.StrEnum):
    """What commercial use is allowed, as answered for a model or a licence.

    A licence's declared :class:`~terms.licenses.model.CommercialStatus` also has ``non_production``,
    which the reference distinguishes in the licence base but which answers as ``research_only``.
    """

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    NON_COMMERCIAL = "non_commercial"
    RESEARCH_ONLY = "research_only"
    NO_DISTRIBUTION = "no_distribution"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, status: CommercialStatus) -> CommercialOutcome:
        """The outcome a licence's declared status gives (non-production counts as research-only)."""
        return cls.RESEARCH_ONLY if status is CommercialStatus.NON_PRODUCTION else cls(status.value)


class Scope(enum.StrEnum):
    """How much of a licence applies: all of it, what flows to derivatives, or only naming/display."""

    FULL = "full"
    FLOWING = "flowing"
    NAMING = "naming"


class Role(enum.StrEnum):
    """A party's role on the chain (reference §7)."""

    ORIGINAL_PROVIDER = "original_provider"  # known to have no parent: the licensor, or a listed pretraining org
    PARENT_NOT_RECORDED = "parent_not_recorded"  # no parent recorded, and not known to be an original
    FINE_TUNER = "fine_tuner"
    MODIFIER = "modifier"  # relation unknown
    MERGER = "merger"
    ADAPTER_AUTHOR = "adapter_author"
    REDISTRIBUTOR = "redistributor"  # quantizer, converter, re-uploader
    HOST = "host"
    INFERENCE_PROVIDER = "inference_provider"
    DEPLOYER = "deployer"
    USER = "user"  # anyone who uses the model or its outputs
    LICENSOR = "licensor"  # licensor of material a model declares, where the model's parent is not recorded


class PathStep(NamedTuple):
    """One model on a path and the licence it declares (``unknown`` / ``none`` when so)."""

    model_id: str
    license_id: str

    def to_json(self) -> list[str]:
        return [self.model_id, self.license_id]


def _path_json(path: tuple[PathStep, ...]) -> list[list[str]]:
    """A path as ``[[model id, licence id], …]`` from the model towards the source."""
    return [[step.model_id, step.license_id] for step in path]


class EffectiveLicense(NamedTuple):
    """A licence in force on the model, how much of it applies, and the path from the model to its source."""

    license_id: str
    scope: Scope
    path: tuple[PathStep, ...]
    via_outputs: bool = False

    @property
    def inherited(self) -> bool:
        return len(self.path) > 1

    def to_json(self) -> dict[str, Any]:
        return {"license": self.license_id, "scope": self.scope.value, "path": _path_json(self.path),
                "via_outputs": self.via_outputs}


class EffectiveTerm(NamedTuple):
    term_id: str
    kind: str
    license_id: str
    path: tuple[PathStep, ...]

    @property
    def inherited(self) -> bool:
        return len(self.path) > 1


class Conflict(NamedTuple):
    rule: str
    severity: Severity
    message: str
    path: tuple[PathStep, ...]
    license_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity.value, "message": self.message,
                "path": _path_json(self.path), "licenses": list(self.license_ids)}


@dataclass(frozen=True, slots=True)
class CommercialResult:
    """Commercial status; ``governing_license`` is the licence that sets it (with its path)."""

    status: CommercialOutcome
    governing_license: str | None = None
    path: tuple[PathStep, ...] = ()
    license_status: str | None = None  # the licence's own wording, e.g. non_production
    mau_threshold: int | None = None
    mau_license: str | None = None
    revenue_threshold_usd: int | None = None
    revenue_license: str | None = None
    registration_required: bool = False
    known_floor: CommercialOutcome | None = None  # the strictest known status when the answer is unknown
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value, "governing_license": self.governing_license, "path": _path_json(self.path),
            "license_status": self.license_status, "mau_threshold": self.mau_threshold,
            "mau_license": self.mau_license, "revenue_threshold_usd": self.revenue_threshold_usd,
            "revenue_license": self.revenue_license, "registration_required": self.registration_required,
            "known_floor": self.known_floor.value if self.known_floor else None, "missing": list(self.missing),
        }


@dataclass(frozen=True, slots=True)
class EuAiActResult:
    """AI Act status; every ``unknown`` names the missing datum in ``missing``."""

    oss_exemption: EuOssEligibility
    oss_reasons: tuple[str, ...]
    systemic_risk: TriState
    cumulative_compute_flops: float | None
    compute_lower_bound_flops: float | None
    modifier_becomes_provider: TriState
    provider_basis: str
    missing: tuple[str, ...] = ()
    systemic_risk_basis: str = ""  # why: the compute, or the parameter bound and its assumption, or what is lacking

    def to_json(self) -> dict[str, Any]:
        return {
            "oss_exemption": self.oss_exemption.value, "oss_reasons": list(self.oss_reasons),
            "systemic_risk": self.systemic_risk.value, "systemic_risk_basis": self.systemic_risk_basis,
            "cumulative_compute_flops": self.cumulative_compute_flops,
            "compute_lower_bound_flops": self.compute_lower_bound_flops,
            "modifier_becomes_provider": self.modifier_becomes_provider.value, "provider_basis": self.provider_basis,
            "missing": list(self.missing),
        }


@dataclass(frozen=True, slots=True)
class Obligation:
    id: str
    text: str
    license_id: str | None = None
    basis: str = "licence"  # licence | ai_act | dsa

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "license": self.license_id, "basis": self.basis}


@dataclass(frozen=True, slots=True)
class ResponsibilityStep:
    """One party on the chain from the model (depth 0, deployments included) back to the roots."""

    model_id: str
    depth: int
    party_id: str | None
    party_kind: str
    role: Role
    relation: Relation | None  # how this model derives from its parents (None for roots and deployments)
    licenses: tuple[str, ...]
    obligations: tuple[Obligation, ...]
    deployment_id: str | None = None
    unknown: str | None = None  # what is not known at this step (a parent not recorded) and what points elsewhere

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model_id, "depth": self.depth, "party": self.party_id, "party_kind": self.party_kind,
                "role": self.role.value, "relation": None if self.relation is None else self.relation.value, "licenses": list(self.licenses),
                "deployment": self.deployment_id, "obligations": [o.to_json() for o in self.obligations],
                "unknown": self.unknown}


@dataclass(frozen=True, slots=True)
class PropagationResult:
    """Everything the engine derived for one model."""

    model_id: str
    kb_version: str
    declared: tuple[str, ...]  # canonical ids the model itself declares ("unknown" when unresolvable)
    declared_raw: tuple[str, ...]
    licenses: tuple[EffectiveLicense, ...]
    term_rows: tuple[tuple[str, str, str], ...]  # (term id, kind, licence); see ``terms``
    term_ids: tuple[str, ...]
    restrictions: tuple[str, ...]
    restrictions_complete: bool
    conflicts: tuple[Conflict, ...]
    commercial: CommercialResult
    eu_ai_act: EuAiActResult
    role: Role
    unknown_parts: tuple[str, ...]
    unchecked_rules: tuple[str, ...] = field(default=())

    @property
    def terms(self) -> tuple[EffectiveTerm, ...]:
        """Every term in force, with the licence and path it comes from."""
        paths = {lic.license_id: lic.path for lic in self.licenses}
        return tuple(EffectiveTerm(tid, kind, lid, paths.get(lid, ())) for tid, kind, lid in self.term_rows)

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.conflicts if c.severity is severity)

    def to_json_dict(self, *, include_terms: bool = True) -> dict[str, Any]:
        """The result as JSON-ready data (keys in a fixed order, so dumps are stable).

        ``include_terms=False`` leaves out the term list (the materialised form keeps term ids
        in ``eff_terms`` and the licence paths, from which every term's path follows).
        """
        data: dict[str, Any] = {
            "version": RESULT_VERSION,
            "kb_version": self.kb_version,
            "model": self.model_id,
            "declared": list(self.declared),
            "declared_raw": list(self.declared_raw),
            "licenses": [lic.to_json() for lic in self.licenses],
            "restrictions": list(self.restrictions),
            "restrictions_complete": self.restrictions_complete,
            "conflicts": [c.to_json() for c in self.conflicts],
            "commercial": self.commercial.to_json(),
            "eu_ai_act": self.eu_ai_act.to_json(),
            "role": self.role.value,
            "unknown_parts": list(self.unknown_parts),
            "unchecked_rules": list(self.unchecked_rules),
        }
        if include_terms:
            data["terms"] = [{"term": tid, "kind": kind, "license": lid} for tid, kind, lid in self.term_rows]
        return data

    def to_properties(self) -> Properties:
        """Flat ``eff_*`` properties for the ``Model`` node (scalars and lists of strings only)."""
        com = self.commercial
        return {
            "eff_version": RESULT_VERSION,
            "eff_kb_version": self.kb_version,
            "eff_declared": list(self.declared),
            "eff_licenses": sorted({lic.license_id for lic in self.licenses}),
            "eff_terms": list(self.term_ids),
            "eff_restrictions": list(self.restrictions),
            "eff_commercial_status": com.status.value,
            "eff_commercial_license": com.governing_license,
            "eff_mau_threshold": com.mau_threshold,
            "eff_revenue_threshold_usd": com.revenue_threshold_usd,
            "eff_conflict_rules": sorted(c.rule for c in self.conflicts),
            "eff_violations": self.count(Severity.VIOLATION),
            "eff_warnings": self.count(Severity.WARNING),
            "eff_infos": self.count(Severity.INFO),
            "eff_unknown_parts": list(self.unknown_parts),
            "eff_eu_oss_exemption": self.eu_ai_act.oss_exemption.value,
            "eff_systemic_risk": self.eu_ai_act.systemic_risk.value,
            "eff_modifier_provider": self.eu_ai_act.modifier_becomes_provider.value,
            "eff_role": self.role.value,
            "eff_json": _dumps(self.to_json_dict(include_terms=False)),
        }
