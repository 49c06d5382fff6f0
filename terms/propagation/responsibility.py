"""Roles and obligations along a model chain (reference §7): who owes what under the terms in force.

A licensor owes nothing under the licence it grants: no obligation of a licence is put on a step
whose party is one of the licence's ``licensor_hub_orgs``, nor on the original provider for the
licence it declares on its own model. Use restrictions bind everyone who uses or serves the
material: the model's publishers, its hosts, inference providers and deployers, and its users.
A parentless model is an original provider only when it is known to have no parent (see
:func:`model_role`); otherwise its parent is not recorded, which is an unknown, not a fact.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from crawler.observations import DeploymentKind, Relation
from terms.licenses import LicenseCatalog, LicenseEntry, Term, TermKind
from terms.licenses.model import FlowDown, TriState
from terms.propagation.model import DeploymentRef
from terms.propagation.result import EuAiActResult, Obligation, Role
from terms.propagation.state import State
from terms.propagation.summary import Summary

__all__ = [
    "declared_material",
    "deployment_obligations",
    "deployment_role",
    "model_obligations",
    "model_role",
    "unrecorded_parent",
    "user_obligations",
]

_CREATORS = (Role.FINE_TUNER, Role.MODIFIER, Role.MERGER, Role.ADAPTER_AUTHOR, Role.PARENT_NOT_RECORDED)


def declared_material(catalog: LicenseCatalog, st: State) -> list[tuple[str, LicenseEntry]]:
    """The licences the model declares that belong to another licensor's family (its author is not the licensor)."""
    out: list[tuple[str, LicenseEntry]] = []
    for license_id in st.own:
        entry = catalog.get(license_id)
        if entry.licensor_hub_orgs and st.author not in entry.licensor_hub_orgs:
            out.append((license_id, entry))
    return out


def _known_original(catalog: LicenseCatalog, st: State, originals: Collection[str]) -> bool:
    """No parent is recorded and none exists: the author licenses its own family, or pretrains (listed).
    A record that was never fetched (a reference stub) cannot show that it has no parent."""
    if st.author is None or (st.node is not None and not st.node.license_recorded):
        return False
    family = [catalog.get(lid) for lid in st.own if catalog.get(lid).licensor_hub_orgs]
    if family:
        return all(st.author in entry.licensor_hub_orgs for entry in family)
    return st.author in originals


def model_role(st: State, catalog: LicenseCatalog, originals: Collection[str]) -> Role:
    """The role of a model's publisher, from how the model derives from its parents.

    Without a recorded parent the publisher is the original provider only when the model is known
    to have none (its author is the licensor of the licence it declares, or one of ``originals``);
    otherwise the parent is not recorded.
    """
    if not st.parents:
        return Role.ORIGINAL_PROVIDER if _known_original(catalog, st, originals) else Role.PARENT_NOT_RECORDED
    if st.is_merge:
        return Role.MERGER
    relation = st.parents[0].relation
    return {
        Relation.ADAPTER: Role.ADAPTER_AUTHOR,
        Relation.QUANTIZED: Role.REDISTRIBUTOR,
        Relation.FINETUNE: Role.FINE_TUNER,
    }.get(relation, Role.MODIFIER)


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def unrecorded_parent(catalog: LicenseCatalog, st: State) -> str:
    """Why a parentless model is not known to be an original, and what points to other material."""
    if st.node is not None and not st.node.license_recorded:
        return "parent not recorded — the model's own record was never fetched"
    material = declared_material(catalog, st)
    if material:
        pointers = ", ".join(f"declares {lid}, so it contains {_possessive(entry.licensor or 'its licensor')} "
                             f"{lid} material" for lid, entry in material)
        return f"parent not recorded — {pointers}"
    if st.own:
        declared = f"declares {', '.join(st.own)}"
    else:
        declared = "declares no licence" if st.own_gap == "G07" else "declares no recognised licence"
    who = st.author or "its publisher"
    return (f"parent not recorded — {declared}; {who} is not a known original publisher, so the model may be "
            "derived from a model the hub does not record, or trained from scratch")


def deployment_role(dep: DeploymentRef) -> Role:
    return {
        DeploymentKind.SPACE: Role.HOST,
        DeploymentKind.INFERENCE_PROVIDER: Role.INFERENCE_PROVIDER,
    }.get(dep.kind, Role.DEPLOYER)


def _restrictions(terms: Iterable[tuple[Term, str]], exempt: Collection[str]) -> dict[str, list[Term]]:
    """The use restrictions in force per licence (in licence order), leaving out the licences in ``exempt``."""
    out: dict[str, list[Term]] = {}
    for term, license_id in terms:
        if term.kind is TermKind.RESTRICTION and license_id not in exempt:
            found = out.setdefault(license_id, [])
            if term not in found:
                found.append(term)
    return out


def _restricted_uses(license_id: str, terms: list[Term]) -> str:
    n = len(terms)
    listed = "; ".join(t.description or t.key for t in terms)
    return f"the {n} use{'s' if n != 1 else ''} {license_id} restricts: {listed}"


def _incomplete(entry: LicenseEntry) -> str:
    """A note when the knowledge base does not hold every restriction of the licence (never a silent gap)."""
    if entry.restrictions_complete:
        return ""
    return (f" The knowledge base may not list every restriction of {entry.id}: the licence and the use policy it "
            "incorporates are the reference.")


def _granted_by(catalog: LicenseCatalog, party: str | None, license_ids: Iterable[str]) -> set[str]:
    """The licences whose licensor the party is (it owes nothing under them)."""
    if party is None:
        return set()
    return {lid for lid in license_ids if party in catalog.get(lid).licensor_hub_orgs}


def _licence_obligations(catalog: LicenseCatalog, st: State, summary: Summary, role: Role) -> list[Obligation]:
    out: list[Obligation] = []
    shown: set[tuple[str, str]] = set()  # (family, duty text) of naming and display duties already listed
    in_force = {lid for _, lid in summary.terms}
    granted = _granted_by(catalog, st.author, in_force)
    if role is Role.ORIGINAL_PROVIDER:  # it grants the licence it declares on its own model
        granted |= set(st.own)
    for term, license_id in summary.terms:
        if license_id in granted:
            continue
        entry = catalog.get(license_id)
        kind = term.kind
        if kind is TermKind.NAMING or (kind is TermKind.ATTRIBUTION and term.key == "display"):
            if license_id in st.mislabelled:
                continue  # another version of the family is the one whose material the model carries
            key = (entry.family, f"{term.kind.value}:{term.key}:{term.value}:{term.applies_to}")
            if key in shown:
                continue  # one such duty per family (merges of several versions)
            shown.add(key)
        if kind is TermKind.RESTRICTION:
            continue
        if kind is TermKind.NAMING:
            if role in _CREATORS:
                out.append(Obligation(term.id, f"Name the model so that it meets: {term.description}.", license_id))
            continue
        if kind is TermKind.ATTRIBUTION:
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
    for license_id, terms in sorted(_restrictions(summary.terms, granted).items()):
        entry = catalog.get(license_id)
        uses = _restricted_uses(license_id, terms)
        if entry.flow_down is FlowDown.YES:
            text = (f"Do not use the model for {uses}. Write these restrictions into every agreement governing "
                    "use or distribution, as enforceable provisions, and tell recipients.")
        elif entry.flow_down is FlowDown.PRIVITY:
            text = (f"Comply with the use policy of {license_id} and do not let others break it. Do not use the model "
                    f"for {uses}.")
        else:
            text = f"Do not use the model for {uses}."
        out.append(Obligation(f"{license_id}:restrictions", text + _incomplete(entry), license_id))
    once: dict[tuple[str | None, str], Obligation] = {}
    for obligation in out:  # a duty two licences of one family share (the MAU limit, an output rule) is listed once
        family = catalog.get(obligation.license_id).family if obligation.license_id else None
        once.setdefault((family, obligation.text), obligation)
    return list(once.values())


def _serving_restrictions(catalog: LicenseCatalog, summary: Summary, granted: Collection[str]) -> list[Obligation]:
    """Use restrictions bind whoever serves the model: per licence, with the flow-down the licence requires."""
    out: list[Obligation] = []
    for license_id, terms in sorted(_restrictions(summary.terms, granted).items()):
        entry = catalog.get(license_id)
        text = f"Do not use or serve the model for {_restricted_uses(license_id, terms)}."
        if entry.flow_down is FlowDown.YES:
            text += (" Write these restrictions into the terms of the service as enforceable provisions and tell "
                     "users.")
        elif entry.flow_down is FlowDown.PRIVITY:
            text += f" Every user is bound by the use policy of {license_id}: do not let the service's users break it."
        out.append(Obligation(f"{license_id}:restrictions", text + _incomplete(entry), license_id))
    return out


def user_obligations(catalog: LicenseCatalog, summary: Summary) -> tuple[Obligation, ...]:
    """What anyone who uses the model or its outputs owes: the use restrictions and use limits in force."""
    out: list[Obligation] = []
    for license_id, terms in sorted(_restrictions(summary.terms, ()).items()):
        text = f"Do not use the model or its outputs for {_restricted_uses(license_id, terms)}."
        out.append(Obligation(f"{license_id}:restrictions", text + _incomplete(catalog.get(license_id)), license_id))
    for term, license_id in summary.terms:
        if term.kind is TermKind.COMMERCIAL:
            out.append(Obligation(term.id, f"Respect the limit: {term.description}.", license_id))
        elif term.kind is TermKind.OUTPUT_USE:
            out.append(Obligation(f"{license_id}:{term.id}", f"When using the outputs, {term.description}.",
                                  license_id))
    return tuple(out)


def model_obligations(catalog: LicenseCatalog, st: State, summary: Summary, role: Role,
                      eu: EuAiActResult) -> tuple[Obligation, ...]:
    """What the model's publisher owes, by licence (L) and AI Act (A)."""
    out = _licence_obligations(catalog, st, summary, role)
    if role is Role.PARENT_NOT_RECORDED:
        out.append(Obligation("act:provider_unknown", "GPAI provider duties unknown: the parent is not recorded, so "
                              "it is the GPAI provider (Art. 53) only if it trained the model from scratch; if it "
                              "modified another model, only the modification's compute decides (Recital 109).",
                              basis="ai_act"))
    elif role is Role.ORIGINAL_PROVIDER:
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
    in_force = {lid for _, lid in summary.terms}
    granted = _granted_by(catalog, dep.operator, in_force)
    for license_id in sorted(in_force - granted):
        entry = catalog.get(license_id)
        if entry.hosting_is_distribution is TriState.YES:
            text = (f"Hosting is distribution under {license_id}: put its use restrictions into the service terms "
                    "and tell users.")
            out.append(Obligation(f"{license_id}:hosting", text, license_id))
    out.extend(_serving_restrictions(catalog, summary, granted))
    for term, license_id in summary.terms:
        if license_id in granted:
            continue
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
