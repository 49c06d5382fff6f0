"""How each term travels into a model: kept, dropped, violated — the per-model facts behind term flow.

Definitions (per model ``x`` and term ``T``; the aggregates count them over a family):

* **in force**: ``T`` is one of ``x``'s effective terms (``eff_terms``: its own licence's
  terms plus the terms flowing from every ancestor).
* **dropped** at ``x``: ``T`` is a *binding* term of a licence that reaches ``x`` from an
  ancestor (a term a derivative's declared licence must carry), ``x`` declares a recognised
  licence of its own, and that declaration does not carry ``T`` (the same term or a stricter
  one; :func:`terms.propagation.declared.covered`). This is the relicensing case. A model
  that declares nothing or something unrecognised drops nothing: its own terms are a gap
  (G06/G07), not a relicensing; a quantization that declares nothing keeps its parent's
  licence exactly.
* **relicensed** at ``x`` (a relicensing point): ``T`` is dropped at ``x`` but not at some
  parent of ``x`` that has ``T``'s licence in force — ``x`` is where the term is first lost.
* **violated** at ``x``: a conflict of severity ``violation`` on ``x`` involves ``T``: for the
  rules about a declared licence that omits inherited terms (R01, R07, R08, R11, R23, R29),
  the terms of the conflict's inherited licence that ``x`` drops (for R23 on a quantization
  that declares nothing, the agreement copy and Notice file it ships without); for the other rules, the
  terms in force of the conflict's licence whose kind the rule is about (R02 naming, R17/R19
  commercial, R04/R21 output use, R05 EU exclusion, R06/R20 thresholds, R18 redistribution,
  R10b safety-filter restriction; R12–R14: every binding term of the licences that clash).

For the term-flow counts of a family every member reached by ``T`` falls in exactly one
class, checked in this order: **violate** (violated at it), **drop** (dropped at it),
**keep** (in force and neither).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from terms.licenses import LicenseCatalog, TermKind
from terms.propagation.declared import DeclaredTerms, covered, declared_terms, redistribution_notices
from terms.propagation.result import PropagationResult, Scope
from terms.propagation.rules import ConflictState, Severity
from terms.propagation.state import InForce, State
from terms.propagation.summary import Summarizer

__all__ = ["FlowFacts", "TermFlowAnalyzer", "aggregation_key", "conflict_state"]

_STATES = tuple(ConflictState)  # mildest first
_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.VIOLATION: 3}

_DROP_RULES = frozenset({"R01", "R07", "R08", "R11", "R23", "R29"})
_KIND_RULES: dict[str, frozenset[TermKind]] = {
    "R02": frozenset({TermKind.NAMING}),
    "R04": frozenset({TermKind.OUTPUT_USE}),
    "R05": frozenset({TermKind.EXCLUSION}),
    "R06": frozenset({TermKind.THRESHOLD}),
    "R17": frozenset({TermKind.COMMERCIAL}),
    "R18": frozenset({TermKind.REDISTRIBUTION}),
    "R19": frozenset({TermKind.COMMERCIAL, TermKind.OUTPUT_USE}),
    "R20": frozenset({TermKind.THRESHOLD, TermKind.OUTPUT_USE}),
    "R21": frozenset({TermKind.OUTPUT_USE}),
}
_CLASH_RULES = frozenset({"R12", "R13", "R14"})
_SAFETY_TERM = "restriction:safety_filter_circumvention"
_VIOLATION = Severity.VIOLATION
_NAMING = Scope.NAMING

Dropped = frozenset[tuple[str, str]]  # (term id, licence id)


def conflict_state(result: PropagationResult) -> ConflictState:
    """The worst severity among the model's conflicts."""
    return _STATES[max((_RANK[c.severity] for c in result.conflicts), default=0)]


class FlowFacts(NamedTuple):
    """The term ids dropped, newly dropped (relicensed) and violated at one model, each sorted."""

    dropped: tuple[str, ...]
    relicensed: tuple[str, ...]
    violated: tuple[str, ...]


class TermFlowAnalyzer:
    """Computes :class:`FlowFacts` from the states of one engine run (memoised per declaration)."""

    def __init__(self, catalog: LicenseCatalog, summarizer: Summarizer) -> None:
        self.catalog = catalog
        self.summarizer = summarizer
        self._declared: dict[tuple[str, ...], DeclaredTerms] = {}
        self._licence_drop: dict[tuple[tuple[str, ...], str, Scope], tuple[str, ...]] = {}
        self._by_state: dict[int, tuple[State, Dropped]] = {}
        self._ids: dict[Dropped, tuple[str, ...]] = {}
        self._violations: dict[
            tuple[tuple[tuple[str, tuple[str, ...]], ...], int, Dropped],
            tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]],
        ] = {}

    def _dropped_for(self, own: tuple[str, ...], item: InForce) -> tuple[str, ...]:
        key = (own, item.license_id, item.scope)
        found = self._licence_drop.get(key)
        if found is None:
            declared = self._declared.get(own)
            if declared is None:
                declared = self._declared[own] = declared_terms(self.catalog, own)
            family = self.catalog.get(item.license_id).family
            binding = self.catalog.terms(item.license_id).binding
            found = tuple(t.id for t in self.summarizer.scoped_terms(item.license_id, item.scope)
                          if t.id in binding and not covered(t, family, declared))
            self._licence_drop[key] = found
        return found

    def dropped(self, st: State) -> Dropped:
        """(term, licence) pairs dropped at the model (memoised per state object)."""
        cached = self._by_state.get(id(st))
        if cached is not None and cached[0] is st:
            return cached[1]
        out: set[tuple[str, str]] = set()
        if st.own and st.own_gap is None:
            for license_id, item in st.inherited.items():
                if license_id in st.own or item.scope is _NAMING:
                    continue
                out.update((tid, license_id) for tid in self._dropped_for(st.own, item))
        frozen = frozenset(out)
        self._by_state[id(st)] = (st, frozen)
        return frozen

    def facts(self, st: State, result: PropagationResult) -> FlowFacts:
        dropped = self.dropped(st)
        if not dropped:
            return FlowFacts((), (), self._violated(result, dropped))
        relicensed: set[str] = set()
        for link in st.parents:
            parent = link.state
            if parent is None:
                continue
            for term_id, license_id in dropped - self.dropped(parent):
                if license_id in parent.in_force:
                    relicensed.add(term_id)
        ids = self._ids.get(dropped)
        if ids is None:
            ids = self._ids[dropped] = tuple(sorted({t for t, _ in dropped}))
        return FlowFacts(ids, tuple(sorted(relicensed)), self._violated(result, dropped))

    def _violated(self, result: PropagationResult, dropped: Dropped) -> tuple[str, ...]:
        conflicts = tuple((c.rule, c.license_ids) for c in result.conflicts if c.severity is _VIOLATION)
        if not conflicts:
            return ()
        rows = result.term_rows
        key = (conflicts, id(rows), dropped)
        cached = self._violations.get(key)
        if cached is not None and cached[0] is rows:
            return cached[1]
        out: set[str] = set()
        for rule, licences in conflicts:
            if rule == "R23" and len(licences) == 1:  # a quantization declaring nothing: the notices it omits
                out.update(t.id for t in redistribution_notices(self.catalog, licences[0]))
            elif rule in _DROP_RULES and licences:
                out.update(t for t, lid in dropped if lid == licences[0])
            elif rule in _KIND_RULES and licences:
                kinds = {k.value for k in _KIND_RULES[rule]}
                out.update(tid for tid, kind, lid in rows if lid == licences[0] and kind in kinds)
            elif rule in _CLASH_RULES:
                for license_id in licences:
                    binding = self.catalog.terms(license_id).binding
                    out.update(tid for tid, _, lid in rows if lid == license_id and tid in binding)
            elif rule == "R10b" and _SAFETY_TERM in result.term_ids:
                out.add(_SAFETY_TERM)
        found = tuple(sorted(out))
        self._violations[key] = (rows, found)
        return found


def aggregation_key(parts: Sequence[object]) -> str:
    """A short stable digest of the values a family aggregate groups by (models alike share it).

    ``parts`` hold strings and lists or tuples of strings; their ``repr`` is the digested text.
    """
    return hashlib.blake2b(repr(tuple(parts)).encode("utf-8"), digest_size=8).hexdigest()
