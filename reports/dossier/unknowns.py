"""What a dossier cannot tell, stated as unknown with the reason (never guessed, never left out).

Sources, in this order: each model on the chain (never observed, unreachable, deleted, gated,
no or unrecognised licence), the lineage read (cut short, cycles), the deployments list (cut
short), then the engine's own gaps (parents not recorded on the chain, unknown parts, missing
data for the commercial status and the EU AI Act status).
"""

from __future__ import annotations

from reports.dossier.hosts import cap_words
from reports.dossier.model import Dossier, ModelEntry, UncheckedRule, Unknown
from reports.dossier.times import format_instant
from terms.propagation import RULES

__all__ = ["UNCHECKED_NEEDS", "collect_unchecked", "collect_unknowns", "instant_words"]

UNCHECKED_NEEDS = {
    "R03": "the model card's text was not read, so whether it shows the display duty is unknown",
    "R05": "whether the model is multimodal, or whether its publisher is domiciled in the EU, is not recorded",
    "R06": "the publisher's monthly active users are not recorded",
    "R20": "the publisher's annual revenue is not recorded",
    "R30": "how the model derives from its parent (the relation) is not recorded",
}
"""What each rule the engine may leave unchecked needs and lacked (terms/propagation/RULES.md)."""

_NO_PARENT = "parent not recorded"
"""How the engine's unknown part for a parent not recorded begins (stated from the chain instead)."""


def instant_words(dossier: Dossier) -> str:
    """``at 2024-09-01T00:00:00Z`` or ``as currently recorded``."""
    return "as currently recorded" if dossier.as_of is None else f"at {format_instant(dossier.as_of)}"


def _model_unknowns(m: ModelEntry, when: str) -> list[str]:
    out: list[str] = []
    if m.status == "unknown":
        out.append("never observed itself (only named as a parent): its licence, publisher, parents and files "
                   "are unknown")
    elif m.status == "unavailable":
        out.append("the hub could not be read for this model: its licence, publisher, parents and files are unknown")
    elif m.status == "deleted":
        out.append("deleted from the hub: its facts are those last observed before the deletion")
    if m.known_from == "listed":
        out.append("known only from the hub's model listing: its files (and their hashes), card text and configs "
                   "were not read, so lineage evidence beyond the declared base and licence is unknown; asking for "
                   "this dossier requests a deep crawl of it")
    if m.known and (m.status == "gated" or m.gated in ("auto", "manual")):
        out.append(f"gated on the hub ({m.gated or 'gate unknown'}): its files were not read")
    if m.known and m.license is None:
        out.append(f"no licence declared {when}")
    elif m.license == "unknown":
        raws = sorted({d.raw or d.license_name or "" for d in m.declarations if d.in_force} - {""})
        said = f" (the hub said: {', '.join(repr(r) for r in raws)})" if raws else ""
        out.append(f"declares a licence that is not recognised{said}: its terms are unknown")
    if m.known and m.publisher_basis != "published":
        out.append("no publisher recorded; the party shown is the repository namespace")
    return out


def collect_unknowns(dossier: Dossier) -> tuple[Unknown, ...]:
    """Every gap of the dossier, deduplicated, in a fixed order."""
    when = instant_words(dossier)
    found: list[Unknown] = []
    for m in dossier.models:
        found.extend(Unknown(m.id, what) for what in _model_unknowns(m, when))
    lineage = dossier.lineage
    if lineage.truncated:
        found.append(Unknown(dossier.subject, "the ancestry was cut short by the read's depth or path limit: "
                                              "ancestors beyond it are not shown"))
    for cycle in lineage.cycles:
        found.append(Unknown(cycle[0], "the recorded lineage contains a cycle (" + " → ".join(cycle) + "): "
                                       "terms cannot flow around it, so what the models on it inherit is unknown"))
    for host in dossier.deployments.by_kind:
        found.extend(Unknown(c.model, cap_words(host, c)) for c in host.capped)
    if dossier.deployments.truncated:
        found.append(Unknown(dossier.subject, f"only {len(dossier.deployments.listed)} of "
                                              f"{dossier.deployments.total} deployments are listed"))
    result = dossier.result
    if result is None:
        found.append(Unknown(dossier.subject, "the model was never observed itself: no terms, conflicts or "
                                              "responsibilities can be derived for it"))
    else:
        for step in dossier.chain:  # parents not recorded, on the subject or any ancestor
            if step.role == "parent_not_recorded" and step.unknown:
                found.append(Unknown(step.model, step.unknown))
        for part in result.unknown_parts:
            origin, _, reason = part.partition(": ")
            subject = origin if reason else dossier.subject
            gap = (reason or part).split(f"; {_NO_PARENT}")[0]  # the parent not recorded is stated above
            if not gap.startswith(_NO_PARENT):
                found.append(Unknown(subject, f"terms inherited through it: {gap}"))
        for missing in result.commercial.missing:
            found.append(Unknown(dossier.subject, f"commercial status: {missing}"))
        for missing in result.eu_ai_act.missing:
            found.append(Unknown(dossier.subject, f"EU AI Act status: {missing}"))
    return tuple(dict.fromkeys(found))


def collect_unchecked(dossier: Dossier) -> tuple[UncheckedRule, ...]:
    """The rules the engine could not check for the subject, each with its meaning and the datum it lacked."""
    if dossier.result is None:
        return ()
    out = []
    for rule_id in dossier.result.unchecked_rules:
        rule = RULES.get(rule_id)
        needs = UNCHECKED_NEEDS.get(rule_id, "a fact the rule needs is not recorded")
        out.append(UncheckedRule(rule_id, rule.severity.value if rule else None, rule.meaning if rule else None, needs))
    return tuple(out)


def latest_words(dossier: Dossier) -> str:
    latest = dossier.latest_observation
    return "" if latest is None else format_instant(latest)
