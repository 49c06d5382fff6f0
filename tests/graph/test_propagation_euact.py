"""EU AI Act status and the responsibility chain."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pytest
from huggingface_hub import ModelInfo

from crawler.observations import DeploymentKind, Relation, Source
from crawler.parsing import parse_model
from hubreplay.snapshot import bundled_snapshot_path
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
from terms.propagation.euact import MAX_FLOP_PER_PARAMETER, PARAMETER_BOUND, SYSTEMIC_RISK_FLOP, sci


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


# -- systemic risk from a parameter count (C ≈ 6·N·D with D ≤ 1e14 tokens) ----------------------------

SAFETENSORS = "safetensors total"
SMALL = 2_779_683_840  # a 2.8e9-parameter model: at most 1.7e24 FLOP under the assumption
LARGE = 240_000_000_000


def counted(model_id: str, params: int | None, **kw: Any) -> ModelNode:
    return m(model_id, "apache-2.0", params=params, params_source=SAFETENSORS if params else None, monetised=False, **kw)


def test_the_bound_is_the_threshold_over_six_times_1e14_tokens() -> None:
    assert MAX_FLOP_PER_PARAMETER == 6e14
    assert PARAMETER_BOUND == pytest.approx(1.667e10, rel=1e-3)
    assert (sci(1.7376e24), sci(2_779_683_840, 3), sci(1e14), sci(8.4e25)) == ("1.7e24", "2.78e9", "1e14", "8.4e25")


def test_a_small_model_without_compute_is_not_presumed_and_says_why() -> None:
    eu = one([counted("a/small", SMALL)], [], "a/small").eu_ai_act
    assert eu.systemic_risk is TriState.NO
    assert eu.systemic_risk_basis == ("2.78e9 parameters (safetensors total): C ≈ 6·N·D with D ≤ 1e14 tokens gives "
                                      "at most 1.7e24 FLOP, below 1e25")
    assert eu.oss_exemption is EuOssEligibility.YES and eu.missing == ()
    assert eu.cumulative_compute_flops is None  # the bound is not a recorded compute


def test_the_bound_is_sharp_and_size_alone_presumes_nothing() -> None:
    below = one([counted("a/x", int(PARAMETER_BOUND) - 1)], [], "a/x").eu_ai_act
    above = one([counted("a/y", int(PARAMETER_BOUND) + 1)], [], "a/y").eu_ai_act
    assert (below.systemic_risk, above.systemic_risk) == (TriState.NO, TriState.UNKNOWN)
    huge = one([counted("a/huge", 10**13)], [], "a/huge").eu_ai_act
    assert huge.systemic_risk is TriState.UNKNOWN  # never YES from a parameter count
    assert "1e25 FLOP cannot be excluded" in huge.systemic_risk_basis and "training compute of a/huge" in huge.missing
    none = one([counted("a/none", None)], [], "a/none").eu_ai_act
    assert none.systemic_risk is TriState.UNKNOWN and "parameter count" in none.systemic_risk_basis


def test_recorded_compute_keeps_its_answer_whatever_the_count() -> None:
    big = one([counted("a/big", SMALL, training_compute_flops=2e25)], [], "a/big").eu_ai_act
    assert big.systemic_risk is TriState.YES and big.systemic_risk_basis.startswith("training compute 2e25 FLOP")
    small = one([counted("a/s", LARGE, training_compute_flops=1e24)], [], "a/s").eu_ai_act
    assert small.systemic_risk is TriState.NO and small.systemic_risk_basis.startswith("training compute 1e24 FLOP")


def test_quantizations_and_adapters_inherit_their_base() -> None:
    base = counted("a/small", SMALL)
    quant = one([base, counted("q/small-GGUF", None)], [e("q/small-GGUF", base.id, Relation.QUANTIZED)], "q/small-GGUF")
    assert quant.eu_ai_act.systemic_risk is TriState.NO
    assert quant.eu_ai_act.systemic_risk_basis.startswith("inherits from a/small: 2.78e9 parameters (safetensors total)")
    lora = one([base, counted("u/lora", None)], [e("u/lora", base.id, Relation.ADAPTER)], "u/lora").eu_ai_act
    assert lora.systemic_risk is TriState.NO and lora.systemic_risk_basis.startswith("inherits from a/small")
    # an adapter's own (tiny) count does not make a large base "not presumed"
    large = counted("a/large", LARGE)
    tiny = one([large, counted("u/lora", 4_000_000)], [e("u/lora", large.id, Relation.ADAPTER)], "u/lora").eu_ai_act
    assert tiny.systemic_risk is TriState.UNKNOWN and tiny.systemic_risk_basis.startswith("inherits from a/large")
    unrecorded = counted("a/unrecorded", None)
    orphan = one([unrecorded, counted("u/lora", 4_000_000)], [e("u/lora", unrecorded.id, Relation.ADAPTER)], "u/lora")
    assert orphan.eu_ai_act.systemic_risk is TriState.UNKNOWN


def test_a_fine_tune_needs_its_own_count_or_its_modification_compute() -> None:
    base = counted("a/small", SMALL)
    own = one([base, counted("u/ft", SMALL)], [e("u/ft", base.id)], "u/ft").eu_ai_act
    assert own.systemic_risk is TriState.NO and "own 2.78e9 parameters" in own.systemic_risk_basis
    unknown = one([base, counted("u/ft", None)], [e("u/ft", base.id)], "u/ft").eu_ai_act
    assert unknown.systemic_risk is TriState.UNKNOWN
    assert "modification compute of u/ft" in unknown.missing and "inherits from a/small" in unknown.systemic_risk_basis
    mod = one([base, counted("u/ft", None, modification_compute_flops=1e22)], [e("u/ft", base.id)], "u/ft").eu_ai_act
    assert mod.systemic_risk is TriState.NO and "modification compute 1e22 FLOP" in mod.systemic_risk_basis
    over = one([base, counted("u/ft", None, modification_compute_flops=9e24)], [e("u/ft", base.id)], "u/ft").eu_ai_act
    assert over.systemic_risk is TriState.UNKNOWN  # at most 1.07e25: cannot be excluded
    grown = one([base, counted("u/ft", LARGE)], [e("u/ft", base.id)], "u/ft").eu_ai_act
    assert grown.systemic_risk is TriState.UNKNOWN
    # a small fine-tune of a base that may exceed 10^25 FLOP is not presumed clear of it
    large = counted("a/large", LARGE)
    pruned = one([large, counted("u/small-ft", SMALL)], [e("u/small-ft", large.id)], "u/small-ft").eu_ai_act
    assert pruned.systemic_risk is TriState.UNKNOWN and pruned.systemic_risk_basis.startswith("inherits from a/large")


def test_a_fine_tune_of_a_base_with_nothing_recorded_is_bounded_by_its_own_count() -> None:
    base = counted("a/unrecorded", None)
    ft = one([base, counted("u/ft", SMALL)], [e("u/ft", base.id)], "u/ft").eu_ai_act
    assert ft.systemic_risk is TriState.NO
    assert ft.systemic_risk_basis.startswith("2.78e9 parameters (safetensors total)")
    assert "a/unrecorded: no training compute or parameter count recorded" in ft.systemic_risk_basis


def test_a_merge_takes_the_most_severe_of_its_parents() -> None:
    a, b, big = counted("a/a", SMALL), counted("a/b", 7_000_000_000), counted("a/big", LARGE)
    both = one([a, b, counted("u/merge", None)], [e("u/merge", a.id, Relation.MERGE), e("u/merge", b.id, Relation.MERGE)],
               "u/merge").eu_ai_act
    assert both.systemic_risk is TriState.NO and "a/b at most 4.2e24 FLOP" in both.systemic_risk_basis
    mixed = one([a, big, counted("u/merge", SMALL)],
                [e("u/merge", a.id, Relation.MERGE), e("u/merge", big.id, Relation.MERGE)], "u/merge").eu_ai_act
    assert mixed.systemic_risk is TriState.UNKNOWN and "a/big:" in mixed.systemic_risk_basis
    huge = counted("a/huge", None, training_compute_flops=4e25)
    systemic = one([a, huge, counted("u/merge", None)],
                   [e("u/merge", a.id, Relation.MERGE), e("u/merge", huge.id, Relation.MERGE)], "u/merge").eu_ai_act
    assert systemic.systemic_risk is TriState.YES


# -- the same on the bundled snapshot (its rows parsed as the crawler parses them) --------------------


@lru_cache(maxsize=1)
def bundled_view() -> LineageView:
    """Every model of the bundled snapshot with its parameter count and declared parents."""
    source = Source("https://hub.test/api/models", None, datetime(2025, 1, 1, tzinfo=UTC))
    nodes, edges = [], []
    with gzip.open(bundled_snapshot_path() / "models.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            parsed = parse_model(ModelInfo(**json.loads(line)), source)
            seen = parsed.model
            nodes.append(ModelNode(seen.id, params=seen.params, params_source=seen.params_source))
            edges.extend(LineageEdge(d.child_id, d.parent_id, d.relation) for d in parsed.declared.derivations)
    return LineageView.build(nodes, edges)


@lru_cache(maxsize=1)
def bundled() -> dict[str, PropagationResult]:
    return PropagationEngine().evaluate(bundled_view())


def test_bundled_zephyr_7b_is_not_presumed_from_its_safetensors_total() -> None:
    eu = bundled()["HuggingFaceH4/zephyr-7b-beta"].eu_ai_act
    assert eu.systemic_risk is TriState.NO
    assert eu.systemic_risk_basis.startswith("7.24e9 parameters (safetensors total): C ≈ 6·N·D with D ≤ 1e14 tokens "
                                             "gives at most 4.3e24 FLOP, below 1e25")
    assert "mistralai/Mistral-7B-v0.1" in eu.systemic_risk_basis  # its base, of which nothing is recorded


def test_bundled_zephyr_141b_stays_unknown_with_the_reason() -> None:
    eu = bundled()["HuggingFaceH4/zephyr-orpo-141b-A35b-v0.1"].eu_ai_act
    assert eu.systemic_risk is TriState.UNKNOWN
    assert eu.systemic_risk_basis.startswith("1.41e11 parameters (safetensors total): 1e25 FLOP cannot be excluded")
    assert "training compute of mistral-community/Mixtral-8x22B-v0.1" in eu.missing


def test_bundled_llama_3_8b_instruct_and_its_derivatives() -> None:
    results = bundled()
    root = results["meta-llama/Meta-Llama-3-8B-Instruct"].eu_ai_act
    assert root.systemic_risk is TriState.NO and root.systemic_risk_basis.startswith("8.03e9 parameters")
    # its fine-tunes in the snapshot list no count of their own: unknown, naming what is lacking
    ft = results["haoranxu/Llama-3-Instruct-8B-SimPO"].eu_ai_act
    assert ft.systemic_risk is TriState.UNKNOWN
    assert ft.systemic_risk_basis.startswith("inherits from meta-llama/Meta-Llama-3-8B-Instruct: 8.03e9 parameters")
    assert "modification compute of haoranxu/Llama-3-Instruct-8B-SimPO" in ft.missing


def test_bundled_llama_3_8b_instruct_passes_not_presumed_to_a_quantization() -> None:
    """The snapshot holds no quantization of a counted model: one is added below the real base."""
    view = bundled_view()
    base_id, quant_id = "meta-llama/Meta-Llama-3-8B-Instruct", "q/Meta-Llama-3-8B-Instruct-GGUF"
    base = bundled()[base_id].eu_ai_act
    quant = one([*view.nodes.values(), ModelNode(quant_id)], [*view.edges, e(quant_id, base_id, Relation.QUANTIZED)],
                quant_id).eu_ai_act
    assert quant.systemic_risk is TriState.NO
    assert quant.systemic_risk_basis == f"inherits from meta-llama/Meta-Llama-3-8B-Instruct: {base.systemic_risk_basis}"


def test_bundled_nothing_is_presumed_and_every_not_presumed_rests_on_a_count_below_the_bound() -> None:
    view = bundled_view()
    not_presumed = 0
    for model_id, result in bundled().items():
        eu = result.eu_ai_act
        assert eu.systemic_risk is not TriState.YES, model_id  # no compute is recorded: size presumes nothing
        if eu.systemic_risk is TriState.NO:
            not_presumed += 1
            count = view.nodes[model_id].params
            inherited = eu.systemic_risk_basis.startswith("inherits from ")
            assert inherited or (count is not None and count * MAX_FLOP_PER_PARAMETER <= SYSTEMIC_RISK_FLOP), model_id
            assert "parameters (safetensors total)" in eu.systemic_risk_basis, model_id
    assert not_presumed > 0
