"""The conflict-rule registry: every stable rule id, its severity and its one-line meaning.

Ids ``R01``–``R28`` follow the numbering of §9 of the licence reference (``R10a/b`` and
``R22a/b`` split one reference rule into two outcomes of different severity); ``R29`` and
``R30`` are additions; ``G01``–``G09`` name gaps in the input (the answer then has ``unknown`` parts).
``RULES.md`` documents the same table and a test keeps the two in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["RULES", "ConflictState", "Rule", "Severity"]


class Severity(enum.StrEnum):
    """How serious a conflict is, most serious first."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"


class ConflictState(enum.StrEnum):
    """The worst severity among a model's conflicts (``none`` without conflicts), mildest first."""

    NONE = "none"
    INFO = "info"
    WARNING = "warning"
    VIOLATION = "violation"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    meaning: str


_V, _W, _I = Severity.VIOLATION, Severity.WARNING, Severity.INFO

_ALL = (
    Rule("R01", _V,
         "A Llama-licensed ancestor's Agreement, AUP, Notice and MAU gate still attach, but the model declares"
         " no Llama licence."),
    Rule("R02", _V,
         "The model's name does not meet a naming rule it inherits (Llama 3: begins \"Llama 3\"; Llama 3.1+: "
         "begins \"Llama\")."),
    Rule("R03", _W,
         "An inherited display duty (\"Built with Llama\", \"Powered by Stability AI\" ...) does not appear in the"
         " model card."),
    Rule("R04", _V,
         "The model was trained on outputs of a licence that forbids improving other models with them, and is "
         "not an excepted derivative."),
    Rule("R05", _V,
         "A multimodal model under an EU-excluding Llama licence (3.2+) is published by an EU-domiciled party:"
         " no licence grant."),
    Rule("R06", _V,
         "The publishing party's monthly active users exceed an inherited MAU threshold: a separate licence is"
         " needed."),
    Rule("R07", _V,
         "A Gemma ancestor's Prohibited Use Policy restrictions are missing from the model's declared licence."),
    Rule("R08", _V,
         "The model was trained on Gemma outputs (a Model Derivative) and its declared licence omits the Gemma"
         " restrictions."),
    Rule("R09", _I,
         "A Gemma-derived model is hosted: hosting is distribution, so the host's terms must carry the use "
         "restrictions."),
    Rule("R10a", _W,
         "An abliterated or uncensored derivative under a licence that prohibits circumventing safety filters."),
    Rule("R10b", _V,
         "An abliterated or uncensored derivative under a licence whose rights end automatically on "
         "circumvention (NVIDIA, FLUX)."),
    Rule("R11", _V,
         "A RAIL-family ancestor's Attachment A use restrictions are missing from the model's declared "
         "licence."),
    Rule("R12", _V,
         "A GPL/AGPL licence meets a use-restricted licence in one model: GPL section 10 forbids further "
         "restrictions."),
    Rule("R13", _V,
         "A share-alike CC licence meets added restrictions, thresholds or a non-commercial term in one model."),
    Rule("R14", _V, "Two incompatible share-alike licences meet in one model."),
    Rule("R15", _I,
         "A permissive parent licence lets the model go out under other terms; the parent's notices must be "
         "kept."),
    Rule("R16", _I, "An OpenMDW parent adds only notice retention; the model follows its other licence."),
    Rule("R17", _V,
         "A non-commercial, research-only or non-production ancestor licence, but the model is declared under "
         "a commercial licence."),
    Rule("R18", _V,
         "The model redistributes material whose licence forbids any distribution (Microsoft Research "
         "License)."),
    Rule("R19", _V,
         "Material under a non-commercial licence (FLUX.1 [dev] ...) is hosted or used commercially, or its "
         "outputs trained a competing model."),
    Rule("R20", _V,
         "Stability Community License: the party's revenue exceeds USD 1M, or outputs trained a non-Stability "
         "foundational model."),
    Rule("R21", _V, "Tongyi Qianwen outputs were used to train a non-Qwen model (section 5b)."),
    Rule("R22a", _I, "A merge's parents differ in a field; the most restrictive value governs the merge."),
    Rule("R22b", _W, "A merge inherits naming rules that cannot all be met; manual review needed."),
    Rule("R23", _V,
         "A quantization or re-upload declares a licence that drops terms of its parent's licence, or declares none"
         " while the parent's licence requires its copy and notices with every copy."),
    Rule("R24", _W,
         "An adapter declares a licence different from its base's; the base licence still governs the adapter."),
    Rule("R25", _W,
         "The declared licence differs from the parent's and no other rule allows or explains the change."),
    Rule("R26", _I, "The model's new GPAI provider gets no open-source exemption from the licence in force."),
    Rule("R27", _W,
         "Modification compute exceeds one third of the original's: the modifier becomes the GPAI provider of "
         "the model."),
    Rule("R28", _W,
         "A deployment serves an AI Act Annex III (high-risk) purpose: the deployer becomes the provider (Art."
         " 25)."),
    Rule("R29", _V,
         "An ancestor licence that requires the same licence or flow-down restrictions is replaced by a "
         "declared licence lacking them."),
    Rule("R30", _V,
         "The model is a published adaptation (fine-tune, adapter, merge) of material whose licence forbids "
         "sharing adapted material (CC ND)."),
    Rule("G01", _W, "A declared licence id is not recognised; its terms are unknown."),
    Rule("G02", _W, "The licence is declared as \"other\" without a licence name; its terms are unknown."),
    Rule("G03", _W, "Contradictory licence declarations (card and tag differ); the model's own licence is unknown."),
    Rule("G04", _W, "A merge has parents whose licences are unknown; the merge's terms are partly unknown."),
    Rule("G05", _W, "The lineage contains a cycle; terms flowing around it are unknown."),
    Rule("G06", _W,
         "An ancestor's licence is unknown (not declared, unrecognised, missing or unavailable); its flowing "
         "terms are unknown."),
    Rule("G07", _W, "The model's fetched record declares no licence."),
    Rule("G08", _W, "A derivation's relation is unknown or contradictory; relation-specific rules were not checked."),
    Rule("G09", _W,
         "The model's licence was not recorded: its own record was never fetched (known only as a reference)."),
)

RULES: MappingProxyType[str, Rule] = MappingProxyType({rule.id: rule for rule in _ALL})
"""Rule id → rule, in table order."""
