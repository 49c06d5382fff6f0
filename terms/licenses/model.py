"""Typed licence entries, validated from the YAML files in ``data/`` (pydantic, frozen).

Every enum has an explicit ``unknown`` member: a field the reference does not support is
``unknown``, never a guess. ``markers`` maps a field name to the reference's own caveat
(``G`` guess/inference, ``U`` unverified, ``S`` secondary source only).
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "Attribution",
    "AttributionKind",
    "Commercial",
    "CommercialStatus",
    "DerivativeLicensing",
    "Duty",
    "EuOssEligibility",
    "Exclusion",
    "ExclusionKind",
    "FlowDown",
    "LicenseEntry",
    "LicenseFile",
    "Marker",
    "NamingKind",
    "NamingRule",
    "OutputTraining",
    "Outputs",
    "Redistribution",
    "Restriction",
    "Taxonomy",
    "TriState",
    "COMMERCIAL_STRICTNESS",
    "TERMINATION_CAUSES",
]

LicenseId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.+\-]*$", max_length=80)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Marker(enum.StrEnum):
    GUESS = "G"
    UNVERIFIED = "U"
    SECONDARY = "S"


class TriState(enum.StrEnum):
    """The answer to a yes/no question: yes, no, unknown, or not applicable (the question does not arise,
    e.g. whether a modifier becomes the provider of a model that has no parent; licence entries do not use it)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


class CommercialStatus(enum.StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    NON_COMMERCIAL = "non_commercial"
    NON_PRODUCTION = "non_production"
    RESEARCH_ONLY = "research_only"
    NO_DISTRIBUTION = "no_distribution"
    UNKNOWN = "unknown"


COMMERCIAL_STRICTNESS: dict[CommercialStatus, int] = {
    CommercialStatus.ALLOWED: 0,
    CommercialStatus.CONDITIONAL: 1,
    CommercialStatus.NON_COMMERCIAL: 2,
    CommercialStatus.NON_PRODUCTION: 3,
    CommercialStatus.RESEARCH_ONLY: 4,
    CommercialStatus.NO_DISTRIBUTION: 5,
}
"""How restrictive each known status is (higher = stricter); ``unknown`` has no rank."""


class FlowDown(enum.StrEnum):
    """Whether use restrictions must be passed downstream: by clause, by each user's privity, or not."""

    YES = "yes"
    PRIVITY = "privity"
    NO = "no"
    UNKNOWN = "unknown"


class DerivativeLicensing(enum.StrEnum):
    """``same``: derivatives keep the licence; ``terms_attach``: other terms allowed, base terms keep applying;
    ``no_sharing``: adaptations may be made but not shared (CC ND: only unmodified copies may be redistributed)."""

    SAME = "same"
    TERMS_ATTACH = "terms_attach"
    NONE = "none"
    NO_SHARING = "no_sharing"
    UNKNOWN = "unknown"


class Redistribution(enum.StrEnum):
    ALLOWED = "allowed"
    RESTRICTED = "restricted"  # e.g. never by a commercial entity (MRL, MNPL)
    FORBIDDEN = "forbidden"
    UNKNOWN = "unknown"


class EuOssEligibility(enum.StrEnum):
    """Eligibility for the AI Act Art. 53(2) open-source exemption: a licence's side of it, and a model's verdict."""

    YES = "yes"
    DOUBTFUL = "doubtful"
    NO = "no"
    UNKNOWN = "unknown"


class OutputTraining(enum.StrEnum):
    """May outputs be used to train or improve other models?"""

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    FORBIDDEN = "forbidden"
    NON_COMMERCIAL_ONLY = "non_commercial_only"
    RESEARCH_ONLY = "research_only"
    UNKNOWN = "unknown"


class AttributionKind(enum.StrEnum):
    AGREEMENT_COPY = "agreement_copy"
    NOTICE_FILE = "notice_file"
    DISPLAY = "display"
    MODIFICATION_NOTICE = "modification_notice"
    PUBLICATION_STATEMENT = "publication_statement"
    KEEP_NOTICES = "keep_notices"


class NamingKind(enum.StrEnum):
    MUST_BEGIN_WITH = "must_begin_with"
    MUST_NOT_USE_AS_PRIMARY_NAME = "must_not_use_as_primary_name"


class ExclusionKind(enum.StrEnum):
    GEOGRAPHIC = "geographic"
    FIELD = "field"


TERMINATION_CAUSES = frozenset({"any_breach", "litigation"})
"""Termination triggers that are not use restrictions of the taxonomy."""


class Commercial(_Frozen):
    status: CommercialStatus = CommercialStatus.UNKNOWN
    mau_threshold: int | None = Field(default=None, gt=0)
    revenue_threshold_usd: int | None = Field(default=None, gt=0)
    registration_required: bool | None = None
    persists_in_derivatives: bool = False
    note: str | None = None


class Attribution(_Frozen):
    kind: AttributionKind
    text: str | None = None
    alternatives: tuple[str, ...] = ()
    applies_to: str | None = None  # a subset of models only (e.g. NVIDIA Cosmos)
    note: str | None = None


class Duty(_Frozen):
    kind: Slug
    note: str | None = None


class NamingRule(_Frozen):
    kind: NamingKind
    value: str
    applies_to_output_training: bool = False


class Outputs(_Frozen):
    train_other_models: OutputTraining = OutputTraining.UNKNOWN
    scope: str | None = None
    except_family: str | None = None
    condition: str | None = None
    trained_model_is_derivative: bool | None = None
    commercial_use: TriState = TriState.UNKNOWN
    note: str | None = None


class Restriction(_Frozen):
    """One use restriction of a licence: a taxonomy slug and the section of the licence text that imposes it
    (e.g. ``AUP §1.a``, ``Attachment A (c)``). The section belongs to the (licence, restriction) pair."""

    id: Slug
    section: str | None = Field(default=None, min_length=1, max_length=120)


class Exclusion(_Frozen):
    kind: ExclusionKind
    region: str | None = None
    scope: str | None = None
    end_users_exempt: bool | None = None
    location: str | None = None
    note: str | None = None


class LicenseEntry(_Frozen):
    """One licence of the knowledge base."""

    id: LicenseId
    name: str
    family: Slug
    released: str | None = None
    spdx: str | None = None
    scancode: str | None = None
    aliases: tuple[LicenseId, ...] = ()
    licensor: str | None = None
    licensor_hub_orgs: tuple[str, ...] = ()
    commercial: Commercial = Commercial()
    restrictions: tuple[Slug, ...] = ()
    restriction_sections: dict[Slug, str] = Field(default_factory=dict)
    restrictions_complete: bool = False
    flow_down: FlowDown = FlowDown.UNKNOWN
    derivative_licensing: DerivativeLicensing = DerivativeLicensing.UNKNOWN
    attribution: tuple[Attribution, ...] = ()
    naming: tuple[NamingRule, ...] = ()
    outputs: Outputs = Outputs()
    exclusions: tuple[Exclusion, ...] = ()
    duties: tuple[Duty, ...] = ()
    redistribution: Redistribution = Redistribution.UNKNOWN
    hosting_is_distribution: TriState = TriState.UNKNOWN
    terminates_on: tuple[Slug, ...] = ()
    revocable: bool | None = None
    no_further_restrictions: bool = False
    share_alike: bool = False
    share_alike_compatible_with: tuple[LicenseId, ...] = ()
    osi_approved: TriState = TriState.UNKNOWN
    eu_oss_exemption: EuOssEligibility = EuOssEligibility.UNKNOWN
    verified: bool = False
    markers: dict[str, Marker] = Field(default_factory=dict)
    sources: tuple[str, ...] = ()
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_restrictions(cls, data: object) -> object:
        """Read ``restrictions`` as ``{id, section}`` items (a plain slug is accepted, with no section)."""
        if not isinstance(data, dict) or not data.get("restrictions"):
            return data
        ids: list[object] = []
        sections = dict(data.get("restriction_sections") or {})
        for item in data["restrictions"]:
            if isinstance(item, (dict, Restriction)):
                parsed = Restriction.model_validate(item)
                ids.append(parsed.id)
                if parsed.section is not None:
                    sections[parsed.id] = parsed.section
            else:
                ids.append(item)
        return {**data, "restrictions": ids, "restriction_sections": sections}

    @model_validator(mode="after")
    def _check_restrictions(self) -> LicenseEntry:
        if len(set(self.restrictions)) != len(self.restrictions):
            raise ValueError(f"{self.id}: a restriction is listed twice (give one item with every section)")
        extra = set(self.restriction_sections) - set(self.restrictions)
        if extra:
            raise ValueError(f"{self.id}: sections given for restrictions it does not list: {sorted(extra)}")
        return self

    @property
    def restriction_items(self) -> tuple[Restriction, ...]:
        """The restrictions with the section of the licence text that imposes each."""
        return tuple(Restriction(id=slug, section=self.restriction_sections.get(slug)) for slug in self.restrictions)

    @property
    def is_unknown(self) -> bool:
        """True for the explicit ``unknown`` entry."""
        return self.family == "unknown"

    @property
    def has_use_restrictions(self) -> bool:
        """Adds terms that restrict recipients: restrictions, thresholds or a non-commercial limit."""
        status = self.commercial.status
        return bool(self.restrictions) or status not in (CommercialStatus.ALLOWED, CommercialStatus.UNKNOWN)


class LicenseFile(_Frozen):
    """One YAML file of ``data/licenses/`` (keys starting with ``_`` are YAML anchors, ignored)."""

    schema_version: int
    licenses: tuple[LicenseEntry, ...]


class Taxonomy(_Frozen):
    """``data/taxonomy.yaml``: the manifest and the shared vocabularies."""

    schema_version: int
    kb_version: str
    reference: str
    families: dict[Slug, str]
    restrictions: dict[Slug, str]
    duties: dict[Slug, str]
