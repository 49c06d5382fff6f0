"""EU AI Act status and the responsibility chain."""

from __future__ import annotations

from typing import Any

from crawler.observations import DeploymentKind, Relation
from terms.licenses import EuOssEligibility, TriState
from terms.propagation import (
    DeploymentRef,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    Party,
    PartyKind,
    PropagationEngine,
    PropagationResult,
    Role,
    WeightsAccess,
)


def m(model_id: str, license_id: str | None = None, **kw: Any) -> ModelNode:
    return ModelNode(model_id, (LicenseDeclaration(license_id),) if license_id else (), **kw)


def e(child: str, parent: str, relation: Relation = Relation.FINETUNE) -> LineageEdge:
    return LineageEdge(child, parent, relation)


def one(nodes: list[ModelNode], edges: list[LineageEdge], target: str) -> PropagationResult:
    return PropagationEngine().evaluate_one(LineageView.build(nodes, edges), target)


def test_open_licence_public_weights_not_monetised_small_model_is_exempt() -> None:
    r = one([m("a/base", "apache-2.0", training_compute_flops=1e24, monetised=False)], [], "a/base")
    eu = r.eu_ai_act
    assert (eu.oss_exemption, eu.systemic_risk, eu.modifier_becomes_provider) == (
        EuOssEligibility.YES, TriState.NO, TriState.NOT_APPLICABLE)
    assert eu.missing == ()


def test_each_condition_can_remove_or_blur_the_exemption() -> None:
    systemic = one([m("a/big", "apache-2.0", training_compute_flops=2e25, monetised=False)], [], "a/big").eu_ai_act
    assert (systemic.oss_exemption, systemic.systemic_risk) == (EuOssEligibility.NO, TriState.YES)
    monetised = one([m("a/x", "apache-2.0", training_compute_flops=1e22, monetised=True)], [], "a/x").eu_ai_act
    assert monetised.oss_exemption is EuOssEligibility.NO
    nc = one([m("a/x", "cc-by-nc-4.0", training_compute_flops=1e22, monetised=False)], [], "a/x").eu_ai_act
    assert nc.oss_exemption is EuOssEligibility.NO
    llama = one([m("a/x", "llama3.1", training_compute_flops=1e22, monetised=False)], [], "a/x").eu_ai_act
    assert llama.oss_exemption is EuOssEligibility.DOUBTFUL
    gated = one([m("a/x", "apache-2.0", training_compute_flops=1e22, monetised=False, weights=WeightsAccess.GATED)],
                [], "a/x").eu_ai_act
    assert gated.oss_exemption is EuOssEligibility.DOUBTFUL


def test_missing_data_is_named() -> None:
    eu = one([m("a/x", "apache-2.0")], [], "a/x").eu_ai_act
    assert eu.oss_exemption is EuOssEligibility.UNKNOWN and eu.systemic_risk is TriState.UNKNOWN
    assert eu.missing == ("whether a/x is monetised", "training compute of a/x")
    unknown_licence = one([m("a/y", "mpl-2.0", training_compute_flops=1e20, monetised=False)], [], "a/y").eu_ai_act
    assert unknown_licence.oss_exemption is EuOssEligibility.UNKNOWN
    assert any("mpl-2.0" in reason for reason in unknown_licence.oss_reasons)


def test_modifier_becomes_provider() -> None:
    base = m("a/base", "apache-2.0", training_compute_flops=1e24)
    big = one([base, m("x/cpt", "apache-2.0", modification_compute_flops=4e23)], [e("x/cpt", base.id)], "x/cpt")
    assert big.eu_ai_act.modifier_becomes_provider is TriState.YES
    assert big.eu_ai_act.cumulative_compute_flops == 1.4e24
    small = one([base, m("x/sft", "apache-2.0", modification_compute_flops=1e22)], [e("x/sft", base.id)], "x/sft")
    assert small.eu_ai_act.modifier_becomes_provider is TriState.NO
    unknown = one([base, m("x/ft", "apache-2.0")], [e("x/ft", base.id)], "x/ft").eu_ai_act
    assert unknown.modifier_becomes_provider is TriState.UNKNOWN
    assert "modification compute of x/ft" in unknown.missing
    quant = one([base, m("x/q", "apache-2.0")], [e("x/q", base.id, Relation.QUANTIZED)], "x/q").eu_ai_act
    assert quant.modifier_becomes_provider is TriState.NO and "3.4" in quant.provider_basis
    assert quant.cumulative_compute_flops == 1e24


def test_substitute_threshold_when_the_original_compute_is_unknown() -> None:
    base = m("a/base", "apache-2.0")
    over = one([base, m("x/a", "apache-2.0", modification_compute_flops=5e22)], [e("x/a", base.id)], "x/a")
    assert over.eu_ai_act.modifier_becomes_provider is TriState.YES
    assert "substitute" in over.eu_ai_act.provider_basis
    under = one([base, m("x/b", "apache-2.0", modification_compute_flops=1e22)], [e("x/b", base.id)], "x/b")
    assert under.eu_ai_act.modifier_becomes_provider is TriState.NO
    systemic = m("a/huge", "apache-2.0", training_compute_flops=4e25)
    child = one([systemic, m("x/c", "apache-2.0")], [e("x/c", systemic.id)], "x/c").eu_ai_act
    assert child.systemic_risk is TriState.YES and child.compute_lower_bound_flops == 4e25


def test_responsibility_chain_from_deployment_to_root() -> None:
    root = m("meta-llama/Llama-3.1-8B", "llama3.1", party=Party("meta-llama", PartyKind.ORG))
    ft = m("u/Llama-chat", "llama3.1", party=Party("u", PartyKind.USER))
    dep = DeploymentRef("provider:acme:q/Llama-chat-GGUF", DeploymentKind.INFERENCE_PROVIDER, operator="acme")
    quant = m("q/Llama-chat-GGUF", "llama3.1", deployments=(dep,))
    view = LineageView.build([root, ft, quant], [e(ft.id, root.id), e(quant.id, ft.id, Relation.QUANTIZED)])
    chain = PropagationEngine().run(view).responsibility_chain(quant.id)
    assert [(s.model_id, s.depth, s.party_id, s.role) for s in chain] == [
        (quant.id, 0, "acme", Role.INFERENCE_PROVIDER),
        (quant.id, 0, None, Role.USER),
        (quant.id, 0, "q", Role.REDISTRIBUTOR),
        (ft.id, 1, "u", Role.FINE_TUNER),
        (root.id, 2, "meta-llama", Role.ORIGINAL_PROVIDER),
    ]
    duties = {s.role: {o.id for o in s.obligations} for s in chain}
    assert "naming:must_begin_with:llama" in duties[Role.FINE_TUNER]
    assert "naming:must_begin_with:llama" not in duties[Role.REDISTRIBUTOR]
    assert "llama3.1:attribution:display:built-with-llama" in duties[Role.REDISTRIBUTOR]
    assert "llama3.1:restrictions" in duties[Role.FINE_TUNER]
    assert "act:art53" in duties[Role.ORIGINAL_PROVIDER]
    assert "llama3.1:attribution:display:built-with-llama" not in duties[Role.ORIGINAL_PROVIDER]  # the licensor
    assert {"threshold:mau:700000000", "act:art50", "llama3.1:restrictions"} <= duties[Role.INFERENCE_PROVIDER]
    assert duties[Role.USER] >= {"llama3.1:restrictions"}
    assert duties[Role.ORIGINAL_PROVIDER] == {"act:art53"}  # the licensor owes nothing under its own licence
    assert chain[2].relation == "quantized" and chain[-1].relation is None
