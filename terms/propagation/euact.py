"""EU AI Act status (reference §3): open-source exemption, systemic risk, modifier-becomes-provider.

Unknown is a first-class answer: every ``unknown`` names the missing datum. Merging and
quantizing are taken to add no training compute (§3.4, marked there as an inference).
"""

from __future__ import annotations

from terms.propagation.model import WeightsAccess
from terms.licenses.model import EuOssEligibility, TriState
from terms.propagation.result import EuAiActResult
from terms.propagation.state import State
from terms.propagation.summary import Summary

__all__ = ["GPAI_SUBSTITUTE_FLOP", "SYSTEMIC_RISK_FLOP", "eu_status", "update_compute"]

_ACCESS = {WeightsAccess.PUBLIC: EuOssEligibility.YES, WeightsAccess.GATED: EuOssEligibility.DOUBTFUL,
           WeightsAccess.PRIVATE: EuOssEligibility.NO, WeightsAccess.UNKNOWN: EuOssEligibility.UNKNOWN}
_SYSTEMIC = {TriState.YES: EuOssEligibility.NO, TriState.NO: EuOssEligibility.YES}

SYSTEMIC_RISK_FLOP = 1e25
GPAI_SUBSTITUTE_FLOP = 1e23
"""Indicative GPAI compute; a third of it is the modifier threshold when the original's compute is unknown."""


def update_compute(st: State) -> list[str]:
    """Set the state's cumulative compute (exact and lower bound) and systemic risk; return what is missing."""
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
    if st.compute_exact is not None:
        st.systemic = TriState.YES if st.compute_exact > SYSTEMIC_RISK_FLOP else TriState.NO
        return []
    if st.compute_lower is not None and st.compute_lower > SYSTEMIC_RISK_FLOP:
        st.systemic = TriState.YES
        return []
    st.systemic = TriState.UNKNOWN
    return missing


def _provider(st: State) -> tuple[TriState, str, list[str]]:
    """Does the modifier become the GPAI provider of the model (§3.4)?"""
    if not st.parents:
        return TriState.NOT_APPLICABLE, "no parent: the publisher is the original provider", []
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
        cumulative_compute_flops=st.compute_exact,
        compute_lower_bound_flops=st.compute_lower,
        modifier_becomes_provider=provider,
        provider_basis=basis,
        missing=tuple(dict.fromkeys(missing)),
    )
