"""The propagation engine: licences, conflicts, commercial status, responsibility, AI Act status.

Pure Python over a :class:`~terms.propagation.model.LineageView`. One run walks the ancestors
of the requested models in a single topological pass (Tarjan's algorithm over parent edges,
iterative, so cycles are found and cut instead of looping) and memoises a state per model;
results are assembled on request. Bad input — unknown licence ids, ``other`` without a name,
contradictory declarations, dangling or unknown parents, cycles — gives ``unknown`` parts and
a warning naming the gap, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import structlog

from crawler.observations import ModelStatus, Relation
from terms.deadline import check as check_deadline
from terms.licenses import LicenseCatalog, ResolutionGap, default_catalog, resolve_license
from terms.licenses.model import DerivativeLicensing, EuOssEligibility, TriState
from terms.licenses.originals import original_publishers
from terms.propagation.bulk import no_cyclic_gc
from terms.propagation.checks import Checker
from terms.propagation.errors import UnknownModelError
from terms.propagation.euact import eu_status, update_compute
from terms.propagation.model import LineageEdge, LineageView, ModelNode, PartyKind
from terms.propagation.responsibility import (
    declared_material,
    deployment_obligations,
    deployment_role,
    model_obligations,
    model_role,
    unrecorded_parent,
    user_obligations,
)
from terms.propagation.result import (
    CommercialOutcome,
    CommercialResult,
    Conflict,
    EffectiveLicense,
    PathStep,
    PropagationResult,
    ResponsibilityStep,
    Role,
    Scope,
)
from terms.propagation.rules import RULES, Severity
from terms.propagation.state import Hop, InForce, ParentLink, PathCache, State, UnknownPart
from terms.propagation.summary import Summarizer, Summary

__all__ = ["MAX_UNKNOWN_ORIGINS", "PropagationEngine", "PropagationRun"]

MAX_UNKNOWN_ORIGINS = 3
"""Unknown parts kept per model (the nearest ones); farther gaps are summarised, so work stays linear."""

log = structlog.get_logger(__name__)

_SEVERITY_ORDER = {Severity.VIOLATION: 0, Severity.WARNING: 1, Severity.INFO: 2}
_GAP_REASON = {
    "G01": "declares an unrecognised licence",
    "G02": "declares \"other\" without a licence name",
    "G03": "declares contradictory licences",
    "G07": "declares no licence",
    "G09": "licence not recorded (the model was never fetched)",
}


class PropagationEngine:
    """Stateless entry point; each :meth:`run` memoises one lineage view."""

    def __init__(self, catalog: LicenseCatalog | None = None) -> None:
        self.catalog = catalog or default_catalog()
        self._summarizer = Summarizer(self.catalog)

    def run(self, view: LineageView) -> PropagationRun:
        """A memoising run over ``view`` (filter it with ``view_as_of`` first for time travel)."""
        return PropagationRun(self.catalog, view, self._summarizer)

    def evaluate(self, view: LineageView, model_ids: Iterable[str] | None = None) -> dict[str, PropagationResult]:
        """Results for ``model_ids`` (default: every model of the view), in one pass."""
        return self.run(view).results(model_ids)

    def evaluate_one(self, view: LineageView, model_id: str) -> PropagationResult:
        return self.run(view).result(model_id)


class PropagationRun:
    """States and results for one view; ancestors are computed once and shared."""

    def __init__(self, catalog: LicenseCatalog, view: LineageView, summarizer: Summarizer | None = None) -> None:
        self.catalog = catalog
        self.view = view
        self.summarizer = summarizer or Summarizer(catalog)
        self.states: dict[str, State] = {}
        self._results: dict[str, PropagationResult] = {}
        self._parents: dict[str, list[str]] = {}
        self._paths = PathCache(self.states)
        self._checker = Checker(catalog, self.summarizer, self._paths)
        self._originals = frozenset(original_publishers())

    # -- public -------------------------------------------------------------------------------
    def results(self, model_ids: Iterable[str] | None = None) -> dict[str, PropagationResult]:
        """Results for ``model_ids`` (default: every model of the view); UnknownModelError for ids not in it."""
        ids = list(self.view.nodes) if model_ids is None else list(dict.fromkeys(model_ids))
        self._require(ids)
        with no_cyclic_gc():
            self._ensure(ids)
            out: dict[str, PropagationResult] = {}
            for mid in ids:
                check_deadline()
                out[mid] = self.result(mid)
            return out

    def result(self, model_id: str) -> PropagationResult:
        """The result for one model of the view (memoised)."""
        cached = self._results.get(model_id)
        if cached is None:
            self._require([model_id])
            self._ensure([model_id])
            cached = self._results[model_id] = self._assemble(self.states[model_id])
        return cached

    def release(self, model_ids: Iterable[str]) -> None:
        """Forget the memoised results of ``model_ids`` (their states stay: descendants still need them).

        A bulk pass that stores results as it goes releases them, so memory stays bounded by the
        states of the view rather than growing with every assembled result.
        """
        for model_id in model_ids:
            self._results.pop(model_id, None)

    def ensure(self, model_ids: Iterable[str]) -> None:
        """Compute the states of the models and all their ancestors (results are assembled on request)."""
        ids = list(dict.fromkeys(model_ids))
        self._require(ids)
        with no_cyclic_gc():
            self._ensure(ids)

    def state(self, model_id: str) -> State:
        """The working state of a model of the view (computed on demand; internal to the package)."""
        self._require([model_id])
        self._ensure([model_id])
        return self.states[model_id]

    def responsibility_chain(self, model_id: str) -> tuple[ResponsibilityStep, ...]:
        """The model's deployments, its users, the model, then every ancestor by depth (each once), with roles
        and duties. A model whose parent is not recorded is followed by the licensors of the material it
        declares (a pointer to that material, not a recorded edge)."""
        self._require([model_id])
        self._ensure([model_id])
        root = self.states[model_id]
        steps: list[ResponsibilityStep] = []
        summary = self._summary(root)
        in_force = tuple(sorted(root.in_force))
        for dep in root.node.deployments if root.node is not None else ():
            steps.append(ResponsibilityStep(
                model_id, 0, dep.operator, "unknown", deployment_role(dep), None,
                in_force, deployment_obligations(self.catalog, root, summary, dep), dep.id))
        steps.append(ResponsibilityStep(model_id, 0, None, "anyone", Role.USER, None, in_force,
                                        user_obligations(self.catalog, summary)))
        depth = {model_id: 0}
        order = [model_id]
        for mid in order:  # breadth-first; ``order`` grows while iterating
            for link in self.states[mid].parents:
                if link.parent_id not in depth and link.parent_id in self.view.nodes:  # gaps have no result
                    depth[link.parent_id] = depth[mid] + 1
                    order.append(link.parent_id)
        for mid in sorted(order, key=lambda m: (depth[m], m)):
            st = self.states[mid]
            res = self.result(mid)
            relation = None
            if st.parents:
                relations = {p.relation for p in st.parents}
                relation = relations.pop() if len(relations) == 1 else Relation.MERGE
            party = st.node.party if st.node is not None else None
            kind = party.kind.value if party is not None else "unknown"
            duties = model_obligations(self.catalog, st, self._summary(st), res.role, res.eu_ai_act)
            unknown = unrecorded_parent(self.catalog, st) if res.role is Role.PARENT_NOT_RECORDED else None
            steps.append(ResponsibilityStep(mid, depth[mid], st.author, kind, res.role, relation,
                                            tuple(sorted(st.in_force)), duties, unknown=unknown))
            if res.role is Role.PARENT_NOT_RECORDED:
                steps.extend(self._material_licensors(st, depth[mid] + 1))
        return tuple(steps)

    def _material_licensors(self, st: State, depth: int) -> list[ResponsibilityStep]:
        """The licensors of the material a model declares whose parent is not recorded (it owes nothing under
        its own licence; the step points to where the material comes from)."""
        out: list[ResponsibilityStep] = []
        for license_id, entry in declared_material(self.catalog, st):
            party = entry.licensor_hub_orgs[0] if entry.licensor_hub_orgs else entry.licensor
            licensor = entry.licensor or party
            out.append(ResponsibilityStep(
                st.model_id, depth, party, PartyKind.ORG.value if entry.licensor_hub_orgs else "unknown",
                Role.LICENSOR, None, (license_id,), (),
                unknown=f"{licensor} licenses the {license_id} material {st.model_id} declares; the model it was "
                        "derived from is not recorded"))
        return out

    def _require(self, model_ids: list[str]) -> None:
        for model_id in model_ids:
            if model_id not in self.view.nodes:
                raise UnknownModelError(model_id)

    # -- the pass -----------------------------------------------------------------------------
    def _parent_ids(self, model_id: str) -> list[str]:
        found = self._parents.get(model_id)
        if found is None:
            found = self._parents[model_id] = sorted({e.parent for e in self.view.parent_edges(model_id)})
        return found

    def _ensure(self, model_ids: Iterable[str]) -> None:
        """Compute states for the models and all their ancestors (iterative Tarjan, ancestors first)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        for start in model_ids:
            if start in self.states or start in index:
                continue
            index[start] = low[start] = len(index)
            stack.append(start)
            on_stack.add(start)
            work: list[tuple[str, Iterator[str]]] = [(start, iter(self._parent_ids(start)))]
            while work:
                v, successors = work[-1]
                pushed = False
                for w in successors:
                    if w in self.states:
                        continue
                    if w not in index:
                        index[w] = low[w] = len(index)
                        stack.append(w)
                        on_stack.add(w)
                        work.append((w, iter(self._parent_ids(w))))
                        pushed = True
                        break
                    if w in on_stack:
                        low[v] = min(low[v], index[w])
                if pushed:
                    continue
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    members: list[str] = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        members.append(w)
                        if w == v:
                            break
                    self._compute_component(sorted(members))

    def _compute_component(self, members: list[str]) -> None:
        check_deadline()  # a request's engine pass stops when its deadline has passed
        cyclic = len(members) > 1 or members[0] in self._parent_ids(members[0])
        cycle = tuple(members) if cyclic else ()
        if cyclic:
            log.warning("lineage_cycle", models=members)
        for mid in members:
            self._compute(mid, cycle)

    def _compute(self, model_id: str, cycle: tuple[str, ...]) -> None:
        node = self.view.nodes.get(model_id)
        if node is None:
            st = State(model_id, None, "unknown", own_gap="missing")
            st.unknowns[model_id] = UnknownPart(model_id, "G06", "not in the lineage view: not crawled, deleted or "
                                                "renamed", Hop(model_id, None))
            st.compute_missing = [f"training compute of {model_id}"]
            self.states[model_id] = st
            return
        st = State(model_id, node, "unknown", cycle=cycle, author=node.party_id)
        st.set_parents(self._links(model_id, cycle))
        self._resolve_own(st, node)
        for link in st.parents:
            self._flow(st, link, cycle)
        if len(st.unknowns) > MAX_UNKNOWN_ORIGINS:
            nearest = sorted(st.unknowns.items(), key=lambda kv: (kv[1].path.length, kv[0]))[:MAX_UNKNOWN_ORIGINS]
            st.unknowns = dict(nearest)
            st.unknowns_truncated = True
        elif any(link.state is not None and link.state.unknowns_truncated for link in st.parents):
            st.unknowns_truncated = True
        st.in_force = dict(st.inherited)
        st.mislabelled = self._mislabelled(st)
        for license_id in st.own:
            st.in_force[license_id] = InForce(license_id, Scope.FULL, st.hop)
        self.states[model_id] = st
        st.compute_missing = update_compute(st)

    def _mislabelled(self, st: State) -> tuple[str, ...]:
        """Own licences that name another version of a family whose material the model inherits.

        Hermes-3-Llama-3.1-8B declares llama3 on a Llama 3.1 base: it contains no Llama 3
        material, so the naming and display duties of llama3 do not bind it (the mislabel is R25).
        """
        inherited = {self.catalog.get(lid).family for lid in st.inherited}
        return tuple(lid for lid in st.own
                     if lid not in st.inherited and self.catalog.get(lid).family in inherited)

    def _links(self, model_id: str, cycle: tuple[str, ...]) -> list[ParentLink]:
        grouped: dict[str, list[LineageEdge]] = {}
        for edge in self.view.parent_edges(model_id):
            grouped.setdefault(edge.parent, []).append(edge)
        links = []
        for parent_id, edges in sorted(grouped.items()):
            relations = {e.relation for e in edges}
            relation = relations.pop() if len(relations) == 1 else Relation.UNKNOWN
            state = None if parent_id in cycle else self.states.get(parent_id)
            links.append(ParentLink(parent_id, relation, any(e.via_outputs for e in edges), state, tuple(edges)))
        return links

    def _resolve_own(self, st: State, node: ModelNode) -> None:
        if not node.declarations and not node.license_recorded:
            st.own_gap, st.label = "G09", "unknown"  # not recorded is not "none"
        elif not node.declarations:
            st.own_gap, st.label = "G07", "none"
        else:
            resolved = [d.resolution or resolve_license(d.license_id, d.license_name, catalog=self.catalog)
                        for d in node.declarations]
            st.own_raw = tuple(dict.fromkeys(r.raw or "" for r in resolved))
            ids = list(dict.fromkeys(r.license_id for r in resolved))
            if len(ids) > 1:
                st.own_gap = "G03"
            elif ids[0] == "unknown":
                gaps = {r.gap for r in resolved}
                if ResolutionGap.OTHER_WITHOUT_NAME in gaps:
                    st.own_gap = "G02"
                elif ResolutionGap.UNRECOGNISED in gaps:
                    st.own_gap = "G01"
                else:
                    st.own_gap, st.label = "G07", "none"
            else:
                st.own, st.label = (ids[0],), ids[0]
        if st.own_gap is not None and not (st.own_gap == "G07" and st.only_quantized):
            reason = _GAP_REASON[st.own_gap]
            if st.own_raw:
                reason += f" ({', '.join(st.own_raw)})"
            if node.status is not ModelStatus.AVAILABLE:
                reason += f"; status {node.status.value}"
            st.unknowns[st.model_id] = UnknownPart(st.model_id, st.own_gap, reason, st.hop)

    def _flow_scope(self, license_id: str, scope: Scope, link: ParentLink) -> Scope | None:
        """How much of a parent's licence reaches the child through this edge (None: nothing)."""
        if link.relation is Relation.QUANTIZED and not link.via_outputs:
            return scope
        entry = self.catalog.get(license_id)
        if link.via_outputs:
            if scope is not Scope.NAMING and entry.outputs.trained_model_is_derivative:
                return Scope.FLOWING
            if any(rule.applies_to_output_training for rule in entry.naming):
                return Scope.NAMING
            return None
        if scope is Scope.NAMING:
            return Scope.NAMING
        if entry.derivative_licensing is DerivativeLicensing.NONE and not self.catalog.terms(license_id).flowing:
            return None
        return Scope.FLOWING

    def _flow(self, st: State, link: ParentLink, cycle: tuple[str, ...]) -> None:
        here = st.model_id
        parent = link.state
        if parent is None:
            key = "cycle:" + ",".join(cycle)
            if key not in st.unknowns:
                st.unknowns[key] = UnknownPart(key, "G05", "lineage cycle", Hop(here, Hop(link.parent_id, None)))
            return
        for license_id, item in parent.in_force.items():
            scope = self._flow_scope(license_id, item.scope, link)
            if scope is None:
                continue
            candidate = InForce(license_id, scope, Hop(here, item.path), item.via_outputs or link.via_outputs,
                                link.relation)
            current = st.inherited.get(license_id)
            if current is None or candidate.better_than(current):
                st.inherited[license_id] = candidate
        for origin, part in parent.unknowns.items():
            current_part = st.unknowns.get(origin)
            if current_part is None or part.path.length + 1 < current_part.path.length:
                st.unknowns[origin] = UnknownPart(origin, part.rule, part.reason, Hop(here, part.path))

    # -- assembling a result ------------------------------------------------------------------
    def _summary(self, st: State) -> Summary:
        return self.summarizer.summary(tuple(sorted((lid, item.scope) for lid, item in st.in_force.items())))

    def _path(self, hop: Hop) -> tuple[PathStep, ...]:
        return self._paths.steps(hop)

    def _assemble(self, st: State) -> PropagationResult:
        summary = self._summary(st)
        conflicts: list[Conflict] = []
        unchecked: set[str] = set()
        self._checker.run(st, summary, conflicts, unchecked)
        eu = eu_status(st, summary, st.compute_missing, bool(st.unknowns))
        here = st.hop
        if eu.modifier_becomes_provider is TriState.YES:
            conflicts.append(Conflict("R27", RULES["R27"].severity,
                                      f"The modifier of {st.model_id} becomes its GPAI provider ({eu.provider_basis})"
                                      + ("; systemic-risk duties apply." if eu.systemic_risk is TriState.YES else "."),
                                      self._path(here)))
            if summary.eu_licence is EuOssEligibility.NO:
                conflicts.append(Conflict("R26", RULES["R26"].severity,
                                          f"The new GPAI provider of {st.model_id} gets no open-source exemption: "
                                          f"{'; '.join(summary.eu_reasons)}.", self._path(here)))
        paths = {lid: self._path(item.path) for lid, item in st.in_force.items()}
        licenses = tuple(EffectiveLicense(lid, item.scope, paths[lid], item.via_outputs)
                         for lid, item in sorted(st.in_force.items()))
        role = model_role(st, self.catalog, self._originals)
        parts = {origin: part.reason for origin, part in st.unknowns.items()}
        if role is Role.PARENT_NOT_RECORDED:  # stated here only: it neither flows down nor blurs the terms in force
            own_gap = parts.get(st.model_id)
            missing_parent = unrecorded_parent(self.catalog, st)
            parts[st.model_id] = missing_parent if own_gap is None else f"{own_gap}; {missing_parent}"
        unknown_parts = tuple(f"{origin}: {reason}" for origin, reason in sorted(parts.items()))
        if st.unknowns_truncated:
            unknown_parts += ("further unknown parts upstream (see the ancestors' results)",)
        conflicts.sort(key=lambda c: (_SEVERITY_ORDER[c.severity], c.rule, c.message))
        return PropagationResult(
            model_id=st.model_id,
            kb_version=self.catalog.version,
            declared=st.own if st.own else (st.label,),
            declared_raw=st.own_raw,
            licenses=licenses,
            term_rows=summary.term_rows,
            term_ids=summary.term_ids,
            restrictions=summary.restrictions,
            restrictions_complete=summary.restrictions_complete and not st.unknowns,
            conflicts=tuple(conflicts),
            commercial=self._commercial(st, summary, paths),
            eu_ai_act=eu,
            role=role,
            unknown_parts=unknown_parts,
            unchecked_rules=tuple(sorted(unchecked)),
        )

    def _commercial(self, st: State, summary: Summary, paths: dict[str, tuple[PathStep, ...]]) -> CommercialResult:
        missing = list(summary.commercial_missing)
        missing.extend(f"terms flowing from {origin} ({part.reason})" for origin, part in sorted(st.unknowns.items()))
        floor = summary.commercial
        if floor is None and not missing:
            missing.append("no licence is in force")
        if missing and floor is not CommercialOutcome.NO_DISTRIBUTION:
            status, known_floor = CommercialOutcome.UNKNOWN, floor
        else:
            status, known_floor = floor or CommercialOutcome.UNKNOWN, None
        governing = summary.commercial_license
        return CommercialResult(
            status=status,
            governing_license=governing,
            path=paths.get(governing, ()) if governing else (),
            license_status=summary.license_status,
            mau_threshold=summary.mau[0] if summary.mau else None,
            mau_license=summary.mau[1] if summary.mau else None,
            revenue_threshold_usd=summary.revenue[0] if summary.revenue else None,
            revenue_license=summary.revenue[1] if summary.revenue else None,
            registration_required=summary.registration_required,
            known_floor=known_floor,
            missing=tuple(missing),
        )
