"""Roles and obligations along a model chain (reference §7): who owes what under the terms in force."""

from __future__ import annotations

from crawler.observations import DeploymentKind, Relation
from terms.licenses import LicenseCatalog, TermKind
from terms.licenses.model import FlowDown, TriState
from terms.propagation.model import DeploymentRef
from terms.propagation.result import EuAiActResult, Obligation, Role
from terms.propagation.state import State
from terms.propagation.summary import Summary

__all__ = ["deployment_obligations", "deployment_role", "model_obligations", "model_role"]

_CREATORS = (Role.FINE_TUNER, Role.MODIFIER, Role.MERGER, Role.ADAPTER_AUTHOR)


def model_role(st: State) -> Role:
    """The role of a model's publisher, from how the model derives from its parents."""
    if not st.parents:
        return Role.ORIGINAL_PROVIDER
    if st.is_merge:
        return Role.MERGER
    relation = st.parents[0].relation
    return {
        Relation.ADAPTER: Role.ADAPTER_AUTHOR,
        Relation.QUANTIZED: Role.REDISTRIBUTOR,
        Relation.FINETUNE: Role.FINE_TUNER,
    }.get(relation, Role.MODIFIER)


def deployment_role(dep: DeploymentRef) -> Role:
    return {
        DeploymentKind.SPACE: Role.HOST,
        DeploymentKind.INFERENCE_PROVIDER: Role.INFERENCE_PROVIDER,
    }.get(dep.kind, Role.DEPLOYER)


def _licence_obligations(catalog: LicenseCatalog, st: State, summary: Summary, role: Role) -> list[Obligation]:
    out: list[Obligation] = []
    restricted: dict[str, int] = {}
    shown: set[tuple[str, str]] = set()  # (family, duty text) of naming and display duties already listed
    for term, license_id in summary.terms:
        entry = catalog.get(license_id)
        is_licensor = st.author is not None and st.author in entry.licensor_hub_orgs
        kind = term.kind
        if kind is TermKind.NAMING or (kind is TermKind.ATTRIBUTION and term.key == "display"):
            if license_id in st.mislabelled:
                continue  # another version of the family is the one whose material the model carries
            key = (entry.family, f"{term.kind.value}:{term.key}:{term.value}:{term.applies_to}")
            if key in shown:
                continue  # one such duty per family (merges of several versions)
            shown.add(key)
        if kind is TermKind.RESTRICTION:
            restricted[license_id] = restricted.get(license_id, 0) + 1
            continue
        if kind is TermKind.NAMING:
            if role in _CREATORS and not is_licensor:
                out.append(Obligation(term.id, f"Name the model so that it meets: {term.description}.", license_id))
            continue
        if kind is TermKind.ATTRIBUTION:
            if is_licensor:
                continue
            text = f"Display \"{term.value}\"" if term.key == "display" else f"Provide: {term.description}"
            if term.applies_to:
                text += f" (for {term.applies_to})"
            out.append(Obligation(f"{license_id}:{term.id}", text + ".", license_id))
            continue
        if kind is TermKind.THRESHOLD:
            licensor = entry.licensor or "the licensor"
            out.append(Obligation(term.id, f"Stay within the limit or get a licence from {licensor}: "
                                           f"{term.description}.", license_id))
        elif kind is TermKind.COMMERCIAL:
            out.append(Obligation(term.id, f"Respect the limit: {term.description}.", license_id))
        elif kind is TermKind.REDISTRIBUTION:
            text = f"Do not share, publish or host the material ({term.description})."
            out.append(Obligation(term.id, text, license_id))
        else:
            out.append(Obligation(f"{license_id}:{term.id}", f"{term.description[:1].upper()}{term.description[1:]}.",
                                  license_id))
    for license_id, count in sorted(restricted.items()):
        entry = catalog.get(license_id)
        if entry.flow_down is FlowDown.YES:
            text = (f"Write the {count} use restrictions of {license_id} into every agreement governing use or "
                    "distribution, as enforceable provisions, and tell recipients.")
        elif entry.flow_down is FlowDown.PRIVITY:
            text = f"Comply with the use policy of {license_id} ({count} restrictions) and do not let others break it."
        else:
            text = f"Do not use the model for the {count} uses {license_id} restricts."
        out.append(Obligation(f"{license_id}:restrictions", text, license_id))
    once: dict[tuple[str | None, str], Obligation] = {}
    for obligation in out:  # a duty two licences of one family share (the MAU limit, an output rule) is listed once
        family = catalog.get(obligation.license_id).family if obligation.license_id else None
        once.setdefault((family, obligation.text), obligation)
    return list(once.values())


def model_obligations(catalog: LicenseCatalog, st: State, summary: Summary, role: Role,
                      eu: EuAiActResult) -> tuple[Obligation, ...]:
    """What the model's publisher owes, by licence (L) and AI Act (A)."""
    out = _licence_obligations(catalog, st, summary, role)
    if role is Role.ORIGINAL_PROVIDER:
        exempt = {"yes": "exempt", "no": "not exempt", "doubtful": "exemption doubtful"}.get(
            eu.oss_exemption.value, "exemption unknown")
        out.append(Obligation("act:art53", "As GPAI provider: technical documentation and downstream information "
                                           f"(Art. 53(1)(a)(b), {exempt} under the open-source exemption), a copyright "
                                           "policy and a training-content summary (Art. 53(1)(c)(d)).", basis="ai_act"))
    elif role in (Role.FINE_TUNER, Role.ADAPTER_AUTHOR, Role.MODIFIER):
        if eu.modifier_becomes_provider is TriState.YES:
            out.append(Obligation("act:modifier_provider", "As the GPAI provider of the modification: Art. 53 "
                                  "duties limited to the modification (Recital 109).", basis="ai_act"))
        elif eu.modifier_becomes_provider is TriState.UNKNOWN:
            out.append(Obligation("act:modifier_provider_unknown", "Becomes the GPAI provider of the modification if "
                                  "its compute exceeds one third of the original's; the compute is unknown.",
                                  basis="ai_act"))
    else:
        out.append(Obligation("act:distributor", "Distributor of the model: merging or quantizing adds no training "
                                                 "compute, so no GPAI provider duties by that route.", basis="ai_act"))
    if eu.systemic_risk is TriState.YES and role is Role.ORIGINAL_PROVIDER:
        out.append(Obligation("act:art55", "Systemic risk (above 1e25 FLOP): notify the Commission within two weeks "
                                           "and meet the Art. 55 duties.", basis="ai_act"))
    return tuple(out)


def deployment_obligations(catalog: LicenseCatalog, st: State, summary: Summary,
                           dep: DeploymentRef) -> tuple[Obligation, ...]:
    """What a host, inference provider or deployer of the model owes."""
    role = deployment_role(dep)
    out: list[Obligation] = []
    for license_id in sorted({lid for _, lid in summary.terms}):
        entry = catalog.get(license_id)
        if entry.hosting_is_distribution is TriState.YES:
            text = (f"Hosting is distribution under {license_id}: put its use restrictions into the service terms "
                    "and tell users.")
            out.append(Obligation(f"{license_id}:hosting", text, license_id))
    for term, license_id in summary.terms:
        if term.kind in (TermKind.THRESHOLD, TermKind.COMMERCIAL):
            out.append(Obligation(term.id, f"Respect the limit: {term.description}.", license_id))
        elif term.kind is TermKind.EXCLUSION:
            out.append(Obligation(term.id, f"Respect the exclusion: {term.description}.", license_id))
    if role is Role.HOST:
        out.append(Obligation("dsa:art16", "Act on notices about the hosted model (DSA Art. 6 and 16).", basis="dsa"))
    out.append(Obligation("act:art50", "Tell people they are interacting with AI and mark generated content "
                                       "(Art. 50).", basis="ai_act"))
    if dep.high_risk_purpose:
        out.append(Obligation("act:art25", "Used for a high-risk purpose: becomes the provider of that system "
                                           "(Art. 25) with the Art. 16 duties.", basis="ai_act"))
    return tuple(out)
