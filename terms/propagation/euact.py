"""EU AI Act status (reference §3): open-source exemption, systemic risk, modifier-becomes-provider.

Unknown is a first-class answer: every ``unknown`` names the missing datum. Merging and
quantizing are taken to add no training compute (§3.4, marked there as an inference).
Without recorded compute, a parameter count can rule the 10^25 FLOP presumption out (never in)
under the assumption stated below; every answer says on what it rests (``systemic_risk_basis``).
"""

from __future__ import annotations

from crawler.observations import Relation
from terms.propagation.model import ModelNode, WeightsAccess
from terms.licenses.model import EuOssEligibility, TriState
from terms.propagation.result import EuAiActResult
from terms.propagation.state import State
from terms.propagation.summary import Summary

__all__ = [
    "ASSUMPTION",
    "GPAI_SUBSTITUTE_FLOP",
    "MAX_FLOP_PER_PARAMETER",
    "MAX_TRAINING_TOKENS",
    "PARAMETER_BOUND",
    "SYSTEMIC_RISK_FLOP",
    "eu_status",
    "sci",
    "update_compute",
]

_ACCESS = {WeightsAccess.PUBLIC: EuOssEligibility.YES, WeightsAccess.GATED: EuOssEligibility.DOUBTFUL,
           WeightsAccess.PRIVATE: EuOssEligibility.NO, WeightsAccess.UNKNOWN: EuOssEligibility.UNKNOWN}
_SYSTEMIC = {TriState.YES: EuOssEligibility.NO, TriState.NO: EuOssEligibility.YES}


def sci(value: float, digits: int = 2) -> str:
    """A number as ``2.8e9`` (``digits`` significant digits, no ``+`` or leading zeros in the exponent)."""
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


SYSTEMIC_RISK_FLOP = 1e25
"""Art. 51(2): a GPAI model is presumed to have systemic risk when its cumulative training compute
exceeds 10^25 FLOP (reference §3.3, /work/shared/reference/ai-licenses.md)."""
GPAI_SUBSTITUTE_FLOP = 1e23
"""Indicative GPAI compute; a third of it is the modifier threshold when the original's compute is unknown."""

# When no training compute is recorded, a parameter count bounds it under a stated, generous
# assumption: training compute C ≈ 6·N·D (N parameters, D training tokens) with D ≤ 1e14 tokens
# over the model's whole training (far more than any open model is known to have seen), so
# C ≤ 6e14·N, and a model below 1e25 / 6e14 ≈ 1.67e10 parameters cannot reach the Art. 51(2)
# threshold: it is "not presumed" to have systemic risk (the Commission may still designate it,
# Art. 51(1)(b)). The bound is never used the other way: size alone presumes nothing.
FLOP_PER_PARAMETER_TOKEN = 6
MAX_TRAINING_TOKENS = 1e14
MAX_FLOP_PER_PARAMETER = FLOP_PER_PARAMETER_TOKEN * MAX_TRAINING_TOKENS
PARAMETER_BOUND = SYSTEMIC_RISK_FLOP / MAX_FLOP_PER_PARAMETER
"""Parameter count below which 10^25 FLOP of training is implausible under the assumption (≈ 1.67e10)."""
ASSUMPTION = f"C ≈ {FLOP_PER_PARAMETER_TOKEN}·N·D with D ≤ {sci(MAX_TRAINING_TOKENS)} tokens"
THRESHOLD = sci(SYSTEMIC_RISK_FLOP)
_INHERITING = frozenset({Relation.QUANTIZED, Relation.ADAPTER})
"""Relations whose child takes its parent's classification (adapters' own parameter counts are tiny)."""


def update_compute(st: State) -> list[str]:
    """Set the state's cumulative compute (exact, lower and upper bound) and systemic risk with its
    basis; return what is missing when the risk is unknown."""
    missing = _cumulative_compute(st)
    st.compute_upper, bound_basis = _upper_bound(st)
    if st.compute_exact is not None:
        st.systemic = TriState.YES if st.compute_exact > SYSTEMIC_RISK_FLOP else TriState.NO
        what = "cumulative training compute" if st.parents else "training compute"
        side = "above" if st.systemic is TriState.YES else "not above"
        st.systemic_basis = f"{what} {sci(st.compute_exact)} FLOP, {side} {THRESHOLD} (Art. 51(2))"
        return []
    if st.compute_lower is not None and st.compute_lower > SYSTEMIC_RISK_FLOP:
        st.systemic = TriState.YES
        st.systemic_basis = f"cumulative training compute at least {sci(st.compute_lower)} FLOP, above {THRESHOLD}"
        return []
    st.systemic_basis = bound_basis
    if st.compute_upper is not None and st.compute_upper <= SYSTEMIC_RISK_FLOP:
        st.systemic = TriState.NO
        return []
    st.systemic = TriState.UNKNOWN
    return missing


def _cumulative_compute(st: State) -> list[str]:
    """Set the exact cumulative compute and its lower bound from recorded compute; return what is missing."""
    node = st.node
    missing: list[str] = []
    own = node.training_compute_flops if node is not None else None
    if own is not None:
        st.compute_exact = st.compute_lower = own
    elif not st.parents:
        missing.append(f"training compute of {st.model_id}")
    else:
        parents = [p.state for p in st.parents]
        known = [p for p in parents if p is not None]
        exacts = [p.compute_exact for p in known]
        lowers = [p.compute_lower for p in known if p.compute_lower is not None]
        base_lower = max(lowers) if lowers else None
        base_exact = exacts[0] if len(parents) == 1 and known and exacts[0] is not None else None
        for p in known:
            if p.compute_exact is None:
                what = "cumulative compute" if p.parents else "training compute"
                missing.append(f"{what} of {p.model_id}")
        mod = node.modification_compute_flops if node is not None else None
        if st.only_quantized or st.is_merge:
            extra = mod or 0.0
            if len(parents) > 1:
                missing.append(f"how the compute of the parents of merge {st.model_id} combines")
        else:
            extra = mod if mod is not None else 0.0
            if mod is None:
                missing.append(f"modification compute of {st.model_id}")
                base_exact = None
        st.compute_exact = base_exact + extra if base_exact is not None else None
        st.compute_lower = (base_lower + extra) if base_lower is not None else (mod if mod is not None else None)
    return missing


def _params(node: ModelNode) -> str:
    return f"{sci(node.params or 0, 3)} parameters ({node.params_source or 'parameter count'})"


def _own_bound(st: State) -> tuple[float | None, str]:
    """The model's own parameter bound on its cumulative compute, and how it reads."""
    node = st.node
    if node is None or node.params is None:
        return None, f"parameter count of {st.model_id} unknown"
    bound = MAX_FLOP_PER_PARAMETER * node.params
    if bound <= SYSTEMIC_RISK_FLOP:
        return bound, f"{_params(node)}: {ASSUMPTION} gives at most {sci(bound)} FLOP, below {THRESHOLD}"
    return bound, f"{_params(node)}: {THRESHOLD} FLOP cannot be excluded ({ASSUMPTION} allows up to {sci(bound)} FLOP)"


def _basis(parent: State | None) -> str:
    if parent is None:
        return "in a cycle"
    return parent.systemic_basis if parent.node is not None else "not in the lineage view"


def _upper_bound(st: State) -> tuple[float | None, str]:
    """At most this cumulative compute (None: no bound) under the stated assumption, and why.

    A root is bounded by its recorded compute, else by its parameter count. A merge takes the
    highest bound of its parents (the most severe; unknown if any parent's is). A quantization
    or an adapter takes its parent's bound. A fine-tune adds its modification compute; when that
    is unknown, its own parameter count must be below the bound as well (the assumption covers
    its whole training, the base's included). A parent that may exceed 10^25 FLOP is passed on
    as unknown whatever the child's own count. When the parent has no bound at all (nothing
    recorded, not in the view, or a cycle), a fine-tune's or a quantization's own count bounds
    the training of its weights; an adapter's own count (tiny) never does.
    """
    node = st.node
    if st.compute_exact is not None:
        return st.compute_exact, ""
    if not st.parents:
        bound, basis = _own_bound(st)
        if node is not None and node.params is None:
            basis = "no training compute or parameter count recorded"
        return bound, basis
    mod = node.modification_compute_flops if node is not None else None
    if st.is_merge:
        return _merge_bound(st, mod)
    link = st.parents[0]
    parent = link.state.compute_upper if link.state is not None else None
    inherited = f"inherits from {link.parent_id}: {_basis(link.state)}"
    if parent is not None and parent > SYSTEMIC_RISK_FLOP:
        return None, inherited
    if parent is not None:
        if mod is not None:
            return _plus_modification(parent, mod, inherited)
        if link.relation in _INHERITING:
            return parent, inherited
        own, own_basis = _own_bound(st)
        if own is None:
            return None, f"{inherited}; modification compute and {own_basis}"
        return max(parent, own), f"{inherited}; own {own_basis}"
    own, own_basis = _own_bound(st)
    if link.relation is Relation.ADAPTER or own is None:
        return None, inherited
    return max(own, mod or 0.0), (f"{own_basis}; the count of its weights bounds their whole training, "
                                  f"{link.parent_id}'s included ({link.parent_id}: {_basis(link.state)})")


def _merge_bound(st: State, mod: float | None) -> tuple[float | None, str]:
    """A merge is bounded by the highest bound of its parents (merging adds no training compute, §3.4)."""
    uppers = [(p.parent_id, p.state.compute_upper if p.state is not None else None) for p in st.parents]
    open_ = [f"{p.parent_id}: {_basis(p.state)}" for p, (_, up) in zip(st.parents, uppers, strict=True)
             if up is None or up > SYSTEMIC_RISK_FLOP]
    if open_:
        return None, "merge, the most severe of its parents: " + "; ".join(open_)
    base = max(up for _, up in uppers if up is not None)
    inherited = ("merge, the most severe of its parents: "
                 + ", ".join(f"{pid} at most {sci(up)} FLOP" for pid, up in uppers if up is not None)
                 + f", below {THRESHOLD}")
    if mod is not None:
        return _plus_modification(base, mod, inherited)
    return base, inherited


def _plus_modification(base: float, mod: float, inherited: str) -> tuple[float, str]:
    upper = base + mod
    tail = f"below {THRESHOLD}" if upper <= SYSTEMIC_RISK_FLOP else f"{THRESHOLD} FLOP cannot be excluded"
    return upper, f"{inherited}; with modification compute {sci(mod)} FLOP at most {sci(upper)} FLOP, {tail}"


def _provider(st: State) -> tuple[TriState, str, list[str]]:
    """Does the modifier become the GPAI provider of the model (§3.4)?"""
    if not st.parents:
        return TriState.NOT_APPLICABLE, "no recorded parent: not the modification of a recorded model", []
    node = st.node
    mod = node.modification_compute_flops if node is not None else None
    known = [p.state for p in st.parents if p.state is not None]
    if mod is None:
        if st.only_quantized or st.is_merge:
            return TriState.NO, "quantizing or merging adds no training compute (reference §3.4, inference)", []
        return TriState.UNKNOWN, "modification compute unknown", [f"modification compute of {st.model_id}"]
    originals = [p.compute_exact for p in known]
    if known and len(known) == len(st.parents) and all(o is not None for o in originals):
        original = max(o for o in originals if o is not None)
        verdict = TriState.YES if mod > original / 3 else TriState.NO
        return verdict, f"modification compute {mod:.3g} FLOP vs one third of the original's {original:.3g} FLOP", []
    systemic = any(p.systemic is TriState.YES for p in known)
    threshold = (SYSTEMIC_RISK_FLOP if systemic else GPAI_SUBSTITUTE_FLOP) / 3
    verdict = TriState.YES if mod > threshold else TriState.NO
    basis = f"original compute unknown: modification compute {mod:.3g} FLOP vs substitute {threshold:.3g} FLOP"
    return verdict, basis, []


def eu_status(st: State, summary: Summary, compute_missing: list[str], has_unknown_terms: bool) -> EuAiActResult:
    """The AI Act status of one model from its state and licence summary."""
    node = st.node
    reasons: list[str] = []
    missing: list[str] = []
    verdicts: list[EuOssEligibility] = []

    licence = summary.eu_licence
    if has_unknown_terms and licence is not EuOssEligibility.NO:
        licence = EuOssEligibility.UNKNOWN
        missing.append("the licence terms of an ancestor")
    verdicts.append(licence)
    reasons.append(f"licence: {licence.value}" + (f" ({'; '.join(summary.eu_reasons)})" if summary.eu_reasons else ""))

    access = node.weights_access if node is not None else WeightsAccess.UNKNOWN
    verdicts.append(_ACCESS[access])
    reasons.append(f"weights: {access.value}")
    if access is WeightsAccess.UNKNOWN:
        missing.append(f"weights access of {st.model_id}")

    monetised = node.monetised if node is not None else None
    verdicts.append(EuOssEligibility.UNKNOWN if monetised is None else (EuOssEligibility.NO if monetised else EuOssEligibility.YES))
    reasons.append("monetised: " + ("unknown" if monetised is None else ("yes" if monetised else "no")))
    if monetised is None:
        missing.append(f"whether {st.model_id} is monetised")

    verdicts.append(_SYSTEMIC.get(st.systemic, EuOssEligibility.UNKNOWN))
    reasons.append(f"systemic risk: {st.systemic.value}")
    if st.systemic is TriState.UNKNOWN:
        missing.extend(compute_missing)

    if EuOssEligibility.NO in verdicts:
        oss = EuOssEligibility.NO
    elif EuOssEligibility.UNKNOWN in verdicts:
        oss = EuOssEligibility.UNKNOWN
    elif EuOssEligibility.DOUBTFUL in verdicts:
        oss = EuOssEligibility.DOUBTFUL
    else:
        oss = EuOssEligibility.YES

    provider, basis, provider_missing = _provider(st)
    missing.extend(provider_missing)
    return EuAiActResult(
        oss_exemption=oss,
        oss_reasons=tuple(reasons),
        systemic_risk=st.systemic,
        systemic_risk_basis=st.systemic_basis,
        cumulative_compute_flops=st.compute_exact,
        compute_lower_bound_flops=st.compute_lower,
        modifier_becomes_provider=provider,
        provider_basis=basis,
        missing=tuple(dict.fromkeys(missing)),
    )
