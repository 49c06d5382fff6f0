"""Licence conflict rules (reference §9) evaluated on one model's state (internal).

Each check appends :class:`Conflict` objects with a rule id from ``rules.RULES``, one plain
sentence and the path (models and the licences they declare) that produces the conflict.
Checks that need a datum the input lacks add the rule id to ``unchecked`` instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.observations import DeploymentKind, Relation
from terms.licenses import COMMERCIAL_STRICTNESS, CommercialStatus, LicenseCatalog, Term, TermKind
from terms.licenses.model import DerivativeLicensing, FlowDown, OutputTraining, Redistribution, TriState
from terms.propagation.declared import DeclaredTerms, commercial_rank, covered, declared_terms, redistribution_notices
from terms.propagation.result import Conflict, PathStep, Scope
from terms.propagation.rules import RULES
from terms.propagation.state import Hop, InForce, PathCache, State
from terms.propagation.summary import Summarizer, Summary, name_key, naming_met

__all__ = ["Checker"]

_ABLITERATED = re.compile(r"abliterat|uncensor", re.IGNORECASE)
_NC_RANK = COMMERCIAL_STRICTNESS[CommercialStatus.NON_COMMERCIAL]
_OUTPUT_RULE = {"llama": "R04", "qwen": "R21", "stability": "R20", "flux": "R19"}
_HOSTED = (DeploymentKind.SPACE, DeploymentKind.INFERENCE_PROVIDER, DeploymentKind.ENDPOINT)


_SHORT = {
    "agreement_copy": "a copy of the agreement",
    "notice_file": "the Notice file",
    "modification_notice": "modification notices",
    "keep_notices": "the notices",
}


def _label(term: Term) -> str:
    if term.kind is TermKind.ATTRIBUTION:
        return f"display \"{term.value}\"" if term.key == "display" else _SHORT.get(term.key, term.description)
    if term.kind in (TermKind.RESTRICTION, TermKind.DUTY):
        return term.key
    return term.description


def _names(terms: Iterable[Term]) -> str:
    return ", ".join(sorted({_label(t) for t in terms}))


class Checker:
    """Runs every conflict rule for one model; shared caches live for one engine pass."""

    def __init__(self, catalog: LicenseCatalog, summarizer: Summarizer, paths: PathCache) -> None:
        self.catalog = catalog
        self.summarizer = summarizer
        self.paths = paths
        self._declared: dict[tuple[str, ...], DeclaredTerms] = {}
        self._dropped: dict[tuple[tuple[str, ...], str, Scope], tuple[Term, ...]] = {}

    # -- helpers ------------------------------------------------------------------------------
    def path(self, hop: Hop) -> tuple[PathStep, ...]:
        return self.paths.steps(hop)

    def add(self, out: list[Conflict], rule: str, message: str, hop: Hop, *licenses: str) -> None:
        out.append(Conflict(rule, RULES[rule].severity, message, self.path(hop), tuple(licenses)))

    def declared(self, own: tuple[str, ...]) -> DeclaredTerms:
        cached = self._declared.get(own)
        if cached is None:
            cached = self._declared[own] = declared_terms(self.catalog, own)
        return cached

    def dropped(self, own: tuple[str, ...], item: InForce) -> tuple[Term, ...]:
        """The binding terms of an inherited licence that the declared licences do not carry (memoised)."""
        key = (own, item.license_id, item.scope)
        cached = self._dropped.get(key)
        if cached is None:
            declared = self.declared(own)
            family = self.catalog.get(item.license_id).family
            binding = self.catalog.terms(item.license_id).binding
            cached = tuple(t for t in self.summarizer.scoped_terms(item.license_id, item.scope)
                           if t.id in binding and not covered(t, family, declared))
            self._dropped[key] = cached
        return cached

    def is_licensor(self, st: State, license_id: str) -> bool:
        return st.author is not None and st.author in self.catalog.get(license_id).licensor_hub_orgs

    # -- entry point --------------------------------------------------------------------------
    def run(self, st: State, summary: Summary, out: list[Conflict], unchecked: set[str]) -> None:
        self.gaps(st, out)
        self.declared_licence(st, out)
        self.naming(st, summary, out)
        self.combinations(st, out)
        self.redistribution_and_safety(st, out)
        self.party_and_deployments(st, summary, out, unchecked)
        self.outputs(st, out)
        shared_adaptations(self, st, out, unchecked)

    # -- G01-G09 ------------------------------------------------------------------------------
    def gaps(self, st: State, out: list[Conflict]) -> None:
        here = st.hop
        raw = ", ".join(st.own_raw) or "nothing"
        if st.own_gap == "G01":
            self.add(out, "G01", f"{st.model_id} declares the licence {raw!r}, which the knowledge base does not know.",
                     here)
        elif st.own_gap == "G02":
            self.add(out, "G02", f"{st.model_id} declares licence \"other\" without a licence name (raw value: {raw}).",
                     here)
        elif st.own_gap == "G03":
            self.add(out, "G03", f"{st.model_id} declares contradictory licences ({raw}); which applies is unknown.",
                     here)
        elif st.own_gap == "G07":
            self.add(out, "G07", f"{st.model_id} declares no licence.", here)
        elif st.own_gap == "G09":
            self.add(out, "G09", f"The licence of {st.model_id} was not recorded: its own record was never fetched "
                                 "(it is known only as a reference), so what it declares is unknown.", here)
        if st.cycle:
            self.add(out, "G05", f"{st.model_id} is part of a lineage cycle ({' -> '.join(st.cycle)}); terms "
                                 "flowing around the cycle are unknown.", here)
        parents = {p.parent_id for p in st.parents}
        for origin, part in sorted(st.unknowns.items()):
            if origin == st.model_id or (part.rule == "G05" and st.cycle):
                continue
            if part.rule == "G05":
                self.add(out, "G05", f"{st.model_id} descends from a lineage cycle ({origin.removeprefix('cycle:')}); "
                                     "terms flowing around the cycle are unknown.", part.path)
                continue
            direct = part.path.next is not None and part.path.next.model_id == origin
            rule = "G04" if st.is_merge and direct and origin in parents else "G06"
            what = "merge parent" if rule == "G04" else "ancestor"
            self.add(out, rule, f"The licence of {what} {origin} is unknown ({part.reason}), so the terms "
                                f"{st.model_id} inherits from it are unknown.", part.path)
        for link in st.parents:
            if link.relation is Relation.UNKNOWN:
                how = "contradictory" if len(link.edges) > 1 else "unknown"
                self.add(out, "G08", f"The relation of {st.model_id} to {link.parent_id} is {how}; "
                                     "quantization and adapter rules were not checked for it.",
                         Hop(st.model_id, Hop(link.parent_id, None)))

    # -- R01 R07 R08 R11 R17 R23 R29, then R15 R16 R24 R25 ----------------------------------------
    def declared_licence(self, st: State, out: list[Conflict]) -> None:
        if st.own_gap == "G07":
            self.undeclared_redistribution(st, out)
        if st.own_gap is not None or not st.own:
            return
        catalog = self.catalog
        declared = self.declared(st.own)
        own_text = ", ".join(st.own)
        explained: set[str] = set()
        for license_id, item in sorted(st.inherited.items()):
            if license_id in st.own or item.scope is Scope.NAMING:
                continue  # naming-only terms (outputs used for training) are checked by R02/R03
            entry = catalog.get(license_id)
            dropped = self.dropped(st.own, item)
            parent = item.path.next.model_id if item.path.next is not None else st.model_id
            fired = False
            if item.relation is Relation.QUANTIZED:
                if dropped:
                    self.add(out, "R23", f"{st.model_id} is a quantization declared {own_text}, which drops terms of "
                                         f"its parent's {license_id}: {_names(dropped)}.",
                             item.path, license_id, *st.own)
                    explained.add(parent)
                continue
            restrictions = [t for t in dropped if t.kind is TermKind.RESTRICTION]
            if entry.family == "llama" and "llama" not in declared.families:
                self.add(out, "R01", f"{st.model_id} declares {own_text} but derives from {license_id} material, whose "
                                     "Agreement, Acceptable Use Policy, Notice and MAU gate still attach.",
                         item.path, license_id, *st.own)
                fired = True
            elif entry.family == "gemma" and restrictions:
                rule = "R08" if item.via_outputs else "R07"
                self.add(out, rule, f"{st.model_id} declares {own_text}, which omits the Gemma Prohibited Use Policy "
                                    f"restrictions ({_names(restrictions)}) it must carry as an enforceable provision.",
                         item.path, license_id, *st.own)
                fired = True
            elif entry.family == "rail" and restrictions:
                self.add(out, "R11", f"{st.model_id} declares {own_text}, which omits the use restrictions of its "
                                     f"{license_id} ancestor ({_names(restrictions)}).", item.path, license_id, *st.own)
                fired = True
            if commercial_rank(catalog, license_id) >= _NC_RANK and declared.commercial_rank < _NC_RANK:
                status = entry.commercial.status.value.replace("_", "-")
                self.add(out, "R17", f"{st.model_id} is declared {own_text}, which allows commercial use, but it "
                                     f"inherits the {status} terms of {license_id}.", item.path, license_id, *st.own)
                fired = True
            if entry.family not in ("llama", "gemma", "rail"):
                other = [t for t in dropped if t.kind not in (TermKind.COMMERCIAL, TermKind.THRESHOLD,
                                                               TermKind.REDISTRIBUTION)]
                same = entry.derivative_licensing is DerivativeLicensing.SAME and not any(
                    o in entry.share_alike_compatible_with for o in st.own)
                if (same and other) or (entry.flow_down is FlowDown.YES and restrictions):
                    self.add(out, "R29", f"{st.model_id} declares {own_text}, but its ancestor's {license_id} requires "
                                         f"derivatives to keep its terms, which are dropped: {_names(other)}.",
                             item.path, license_id, *st.own)
                    fired = True
            if fired:
                explained.add(parent)
        for link in st.parents:
            pst = link.state
            if pst is None or link.via_outputs or link.parent_id in explained or pst.own_gap is not None \
                    or not pst.own:
                continue  # a model trained on outputs is not a licensee of the parent's weights
            if set(st.own) == set(pst.own):
                continue
            hop = Hop(st.model_id, Hop(link.parent_id, None))
            parent_text = ", ".join(pst.own)
            entries = [catalog.get(lid) for lid in pst.own]
            if all(e.derivative_licensing is DerivativeLicensing.NONE for e in entries):
                rule = "R16" if any(e.family == "openmdw" for e in entries) else "R15"
                self.add(out, rule, f"{st.model_id} declares {own_text} while its parent {link.parent_id} declares "
                                    f"{parent_text}, which allows other terms for derivatives; its notices must be "
                                    "kept.",
                         hop, *pst.own, *st.own)
            elif link.relation is Relation.QUANTIZED:
                continue  # a stricter licence that carries every parent term is allowed (rule 23)
            elif link.relation is Relation.ADAPTER:
                self.add(out, "R24", f"Adapter {st.model_id} declares {own_text} while its base is {parent_text}; "
                                     f"the base licence governs the adapter even for delta weights.",
                         hop, *pst.own, *st.own)
            else:
                self.add(out, "R25", f"{st.model_id} declares {own_text} while its parent {link.parent_id} declares "
                                     f"{parent_text}, and no rule allows the change; the parent's terms still attach.",
                         hop, *pst.own, *st.own)

    def undeclared_redistribution(self, st: State, out: list[Conflict]) -> None:
        """R23 for a quantization that declares no licence: the parent's licence travels with the
        weights only if its copy and notices do, so leaving them out is at least as serious as
        shipping the weights under the wrong licence."""
        for license_id, item in sorted(st.inherited.items()):
            if item.relation is not Relation.QUANTIZED or item.scope is Scope.NAMING \
                    or self.is_licensor(st, license_id):
                continue
            missing = redistribution_notices(self.catalog, license_id)
            if missing:
                self.add(out, "R23", f"{st.model_id} is a quantization that declares no licence: it redistributes "
                                     f"{license_id} material without {_names(missing)}, which {license_id} requires "
                                     "with every copy.", item.path, license_id)

    # -- R02 R22b -----------------------------------------------------------------------------
    def naming(self, st: State, summary: Summary, out: list[Conflict]) -> None:
        if st.node is None or st.only_quantized or not summary.naming:
            return
        name = st.node.display_name
        begins: list[tuple[str, str]] = []
        forbids: list[tuple[str, str]] = []
        for kind, value, license_id in summary.naming:
            if license_id in st.mislabelled:
                continue  # binds material the model does not contain (the mislabel itself is R25)
            (begins if kind == "must_begin_with" else forbids).append((value, license_id))
            if self.is_licensor(st, license_id) or naming_met(kind, value, name):
                continue
            item = st.in_force[license_id]
            if kind == "must_begin_with":
                need = f"begin with \"{value}\""
            else:
                need = f"not use \"{value}\" as its primary name"
            self.add(out, "R02", f"The name \"{name}\" does not {need}, as {license_id} requires of models made "
                                 f"with its material.", item.path, license_id)
        clashes: list[tuple[str, str]] = []
        for i, (a, la) in enumerate(begins):
            for b, lb in begins[i + 1:]:
                if not (name_key(a).startswith(name_key(b)) or name_key(b).startswith(name_key(a))):
                    clashes.append((la, lb))
            for f, lf in forbids:
                if name_key(a).startswith(name_key(f)):
                    clashes.append((la, lf))
        for la, lb in clashes:
            if self._first_meeting(st, la, lb):
                self.add(out, "R22b", f"{st.model_id} inherits naming rules of {la} and {lb} that cannot both be met; "
                                      "manual review needed.", st.hop, la, lb)

    def _first_meeting(self, st: State, a: str, b: str) -> bool:
        return not any(p.state is not None and a in p.state.in_force and b in p.state.in_force for p in st.parents)

    # -- R12 R13 R14 R22a ---------------------------------------------------------------------
    def combinations(self, st: State, out: list[Conflict]) -> None:
        catalog = self.catalog
        ids = sorted(lid for lid, item in st.in_force.items() if item.scope is not Scope.NAMING)
        entries = {lid: catalog.get(lid) for lid in ids}
        here = st.hop
        for a in ids:
            ea = entries[a]
            if not ea.no_further_restrictions:
                continue
            for b in ids:
                eb = entries[b]
                if a == b or not self._first_meeting(st, a, b):
                    continue
                adds = bool(eb.restrictions) or eb.commercial.mau_threshold or eb.commercial.revenue_threshold_usd or (
                    commercial_rank(catalog, b) >= _NC_RANK and commercial_rank(catalog, a) < _NC_RANK)
                if ea.family == "copyleft" and adds and not eb.no_further_restrictions:
                    self.add(out, "R12", f"{st.model_id} combines {a}, which forbids further restrictions, with the "
                                         f"use-restricted {b}.", here, a, b)
                elif ea.family == "creative_commons" and ea.share_alike and adds and not eb.share_alike:
                    self.add(out, "R13", f"{st.model_id} adapts share-alike {a} material and also carries the "
                                         f"restrictive terms of {b}.", here, a, b)
                elif ea.share_alike and eb.share_alike and a < b and b not in ea.share_alike_compatible_with \
                        and a not in eb.share_alike_compatible_with:
                    self.add(out, "R14", f"{st.model_id} combines the share-alike licences {a} and {b}, which each "
                                         "demand their own licence.", here, a, b)
        if st.is_merge:
            self._merge_fields(st, out)

    def _merge_fields(self, st: State, out: list[Conflict]) -> None:
        parents = [p.state for p in st.parents if p.state is not None and not p.state.unknowns]
        if len(parents) < 2:
            return
        sums = [self.summarizer.summary(_signature(p)) for p in parents]
        mine = self.summarizer.summary(_signature(st))
        for label in ("commercial status", "MAU threshold", "revenue threshold"):
            values = {_merge_field(s, label) for s in sums}
            if len(values) < 2:
                continue
            value, governing = _merge_field(mine, label), _merge_governing(mine, label)
            if governing is None or governing not in st.in_force:
                continue
            self.add(out, "R22a", f"The parents of merge {st.model_id} differ in {label}; the most restrictive value "
                                  f"({value}) from {governing} governs.", st.in_force[governing].path, governing)

    # -- R10 R18 ------------------------------------------------------------------------------
    def redistribution_and_safety(self, st: State, out: list[Conflict]) -> None:
        node = st.node
        abliterated = node is not None and bool(
            _ABLITERATED.search(node.display_name) or any(_ABLITERATED.search(t) for t in node.tags))
        for license_id, item in sorted(st.in_force.items()):
            if item.scope is Scope.NAMING or self.is_licensor(st, license_id):
                continue
            entry = self.catalog.get(license_id)
            if entry.redistribution is Redistribution.FORBIDDEN:
                self.add(out, "R18", f"{st.model_id} redistributes material under {license_id}, which forbids any "
                                     "distribution or hosting.", item.path, license_id)
            if abliterated and "safety_filter_circumvention" in entry.restrictions:
                ends = "safety_filter_circumvention" in entry.terminates_on or "any_breach" in entry.terminates_on
                rule = "R10b" if ends else "R10a"
                effect = "the licence rights end automatically" if ends else "this collides with the licence's policy"
                self.add(out, rule, f"{st.model_id} looks abliterated or uncensored, but {license_id} prohibits "
                                    f"circumventing safety filters: {effect}.", item.path, license_id)

    # -- R03 R05 R06 R09 R19 R20 R28 ------------------------------------------------------------
    def party_and_deployments(self, st: State, summary: Summary, out: list[Conflict], unchecked: set[str]) -> None:
        node = st.node
        if node is None:
            return
        here = st.hop
        party = node.party
        for term, license_id in summary.special_terms:
            if term.kind is TermKind.ATTRIBUTION:
                if self.is_licensor(st, license_id) or license_id in st.mislabelled:
                    continue
                if node.card_text is None:
                    unchecked.add("R03")
                    continue
                card = node.card_text.lower()
                texts = (term.value or "", *term.alternatives)
                if not any(t.lower() in card for t in texts if t):
                    self.add(out, "R03", f"The card of {st.model_id} does not show \"{term.value}\", which "
                                         f"{license_id} requires.", st.in_force[license_id].path, license_id)
            else:
                if self.is_licensor(st, license_id) or node.is_multimodal is False:
                    continue
                eu = party.eu_domiciled if party else None
                if node.is_multimodal and eu:
                    self.add(out, "R05", f"{st.model_id} is multimodal and published by an EU-domiciled party, to "
                                         f"which {license_id} grants no rights.", st.in_force[license_id].path,
                             license_id)
                elif node.is_multimodal is None or eu is None:
                    unchecked.add("R05")
        if summary.mau:
            users = party.monthly_active_users if party else None
            if users is None:
                unchecked.add("R06")
            elif users > summary.mau[0] and not self.is_licensor(st, summary.mau[1]):
                self.add(out, "R06", f"The publisher of {st.model_id} has {users:,} monthly active users, above the "
                                     f"{summary.mau[0]:,} of {summary.mau[1]}.", st.in_force[summary.mau[1]].path,
                         summary.mau[1])
        if summary.revenue:
            revenue = party.annual_revenue_usd if party else None
            if revenue is None:
                unchecked.add("R20")
            elif revenue > summary.revenue[0] and not self.is_licensor(st, summary.revenue[1]):
                self.add(out, "R20", f"The publisher of {st.model_id} has USD {revenue:,} annual revenue, above the "
                                     f"USD {summary.revenue[0]:,} of {summary.revenue[1]}.",
                         st.in_force[summary.revenue[1]].path, summary.revenue[1])
        hosted = [d for d in node.deployments if d.kind in _HOSTED]
        monetised = node.monetised is True or any(d.monetised is True for d in node.deployments)
        for license_id, item in sorted(st.in_force.items()):
            if item.scope is Scope.NAMING:
                continue
            entry = self.catalog.get(license_id)
            if hosted and entry.hosting_is_distribution is TriState.YES and entry.flow_down is FlowDown.YES:
                self.add(out, "R09", f"{st.model_id} is hosted ({hosted[0].id}); hosting is distribution under "
                                     f"{license_id}, so the host's terms must carry its use restrictions.",
                         item.path, license_id)
            if monetised and commercial_rank(self.catalog, license_id) >= _NC_RANK and \
                    self.summarizer.commercial_applies(license_id, item.scope):
                self.add(out, "R19", f"{st.model_id} is used or hosted commercially, but {license_id} allows only "
                                     f"{entry.commercial.status.value.replace('_', '-')} use.", item.path, license_id)
        for dep in node.deployments:
            if dep.high_risk_purpose:
                self.add(out, "R28", f"Deployment {dep.id} uses {st.model_id} for a high-risk (Annex III) purpose; "
                                     f"its operator {dep.operator or 'unknown'} becomes the provider of that system.",
                         here)

    # -- R04 R17 R19 R20 R21 through outputs ---------------------------------------------------
    def outputs(self, st: State, out: list[Conflict]) -> None:
        weight_families = {self.catalog.get(lid).family for lid, item in st.in_force.items() if not item.via_outputs}
        for link in st.parents:
            if not link.via_outputs or link.state is None:
                continue
            for license_id, item in sorted(link.state.in_force.items()):
                entry = self.catalog.get(license_id)
                rule_out = entry.outputs.train_other_models
                hop = Hop(st.model_id, item.path)
                if rule_out is OutputTraining.FORBIDDEN:
                    if entry.outputs.except_family in weight_families:
                        continue
                    rule = _OUTPUT_RULE.get(entry.family, "R04")
                    scope = entry.outputs.scope or "other models"
                    self.add(out, rule, f"{st.model_id} was trained on outputs of {link.parent_id}, but {license_id} "
                                        f"forbids using them to train {scope}.", hop, license_id)
                elif rule_out in (OutputTraining.NON_COMMERCIAL_ONLY, OutputTraining.RESEARCH_ONLY):
                    if st.own and st.own_gap is None and self.declared(st.own).commercial_rank < _NC_RANK:
                        self.add(out, "R17", f"{st.model_id} was trained on outputs of {link.parent_id}, which "
                                             f"{license_id} limits to {rule_out.value.replace('_', ' ')} use, but is "
                                             "declared under a commercial licence.", hop, license_id, *st.own)


def _merge_field(summary: Summary, label: str) -> str | int | None:
    if label == "commercial status":
        return summary.commercial.value if summary.commercial else None
    pair = summary.mau if label == "MAU threshold" else summary.revenue
    return pair[0] if pair else None


def _merge_governing(summary: Summary, label: str) -> str | None:
    if label == "commercial status":
        return summary.commercial_license
    pair = summary.mau if label == "MAU threshold" else summary.revenue
    return pair[1] if pair else None


def _signature(st: State) -> tuple[tuple[str, Scope], ...]:
    return tuple(sorted((lid, item.scope) for lid, item in st.in_force.items()))


# -- R30 (no-derivatives licences) ------------------------------------------------------------
_ADAPTING = (Relation.FINETUNE, Relation.ADAPTER, Relation.MERGE)


def shared_adaptations(checker: Checker, st: State, out: list[Conflict], unchecked: set[str]) -> None:
    """R30: the model is a published adaptation of material whose licence forbids sharing adaptations."""
    for link in st.parents:
        if link.via_outputs or link.state is None:
            continue  # outputs are not the licensed material
        for license_id, item in sorted(link.state.in_force.items()):
            entry = checker.catalog.get(license_id)
            if item.scope is Scope.NAMING or entry.derivative_licensing is not DerivativeLicensing.NO_SHARING \
                    or checker.is_licensor(st, license_id):
                continue
            if link.relation is Relation.UNKNOWN:
                unchecked.add("R30")
            elif link.relation in _ADAPTING:
                checker.add(out, "R30", f"{st.model_id} is published as an adaptation ({link.relation.value}) of "
                                        f"{link.parent_id}, whose licence {license_id} allows sharing only unmodified "
                                        "copies.", Hop(st.model_id, item.path), license_id)
