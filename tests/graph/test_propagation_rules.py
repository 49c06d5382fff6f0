"""Each conflict rule of §9 on a small lineage that triggers it (and, where useful, one that does not)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from crawler.observations import DeploymentKind, Relation
from terms.licenses import DATA_DIR, LicenseCatalog
from terms.propagation import (
    RULES,
    CommercialOutcome,
    DeploymentRef,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    Party,
    PropagationEngine,
    PropagationResult,
    Severity,
)

MERGE, QUANT, ADAPTER = Relation.MERGE, Relation.QUANTIZED, Relation.ADAPTER


def m(model_id: str, license_id: str | None = None, **kw: Any) -> ModelNode:
    return ModelNode(model_id, (LicenseDeclaration(license_id),) if license_id else (), **kw)


def e(child: str, parent: str, relation: Relation = Relation.FINETUNE, **kw: Any) -> LineageEdge:
    return LineageEdge(child, parent, relation, **kw)


def evaluate(nodes: list[ModelNode], edges: list[LineageEdge], target: str,
             catalog: LicenseCatalog | None = None) -> PropagationResult:
    return PropagationEngine(catalog).evaluate(LineageView.build(nodes, edges), [target])[target]


def found(result: PropagationResult) -> list[tuple[str, list[tuple[str, str]]]]:
    return sorted((c.rule, [(s.model_id, s.license_id) for s in c.path]) for c in result.conflicts)


def rules(result: PropagationResult) -> list[str]:
    return sorted(c.rule for c in result.conflicts)


LLAMA31 = m("meta-llama/Llama-3.1-8B", "llama3.1")
LLAMA3 = m("meta-llama/Meta-Llama-3-8B", "llama3")
GEMMA = m("google/gemma-2b", "gemma")


def test_severities_follow_the_registry() -> None:
    r = evaluate([LLAMA3, m("x/tuned", "mit")], [e("x/tuned", LLAMA3.id)], "x/tuned")
    assert all(c.severity is RULES[c.rule].severity for c in r.conflicts)
    assert [c.severity for c in r.conflicts] == [Severity.VIOLATION, Severity.VIOLATION]


def test_r03_display_duty_checked_against_the_card() -> None:
    base = [LLAMA31]
    missing = evaluate(base + [m("x/Llama-chat", "llama3.1", card_text="A chat fine-tune.")],
                       [e("x/Llama-chat", LLAMA31.id)], "x/Llama-chat")
    assert found(missing) == [("R03", [("x/Llama-chat", "llama3.1")])]
    shown = evaluate(base + [m("x/Llama-chat", "llama3.1", card_text="... Built with Llama ...")],
                     [e("x/Llama-chat", LLAMA31.id)], "x/Llama-chat")
    assert shown.conflicts == () and "R03" not in shown.unchecked_rules
    unknown = evaluate(base + [m("x/Llama-chat", "llama3.1")], [e("x/Llama-chat", LLAMA31.id)], "x/Llama-chat")
    assert unknown.conflicts == () and "R03" in unknown.unchecked_rules


def test_r04_llama_3_outputs_train_a_non_llama_model() -> None:
    r = evaluate([LLAMA3, m("x/distil", "apache-2.0")], [e("x/distil", LLAMA3.id, via_outputs=True)], "x/distil")
    assert found(r) == [("R04", [("x/distil", "apache-2.0"), (LLAMA3.id, "llama3")])]
    assert r.licenses[0].license_id == "apache-2.0" and len(r.licenses) == 1  # outputs carry no Llama 3 terms


def test_llama_3_1_outputs_only_pass_the_naming_rule() -> None:
    r = evaluate([LLAMA31, m("x/distil", "apache-2.0")], [e("x/distil", LLAMA31.id, via_outputs=True)], "x/distil")
    assert found(r) == [("R02", [("x/distil", "apache-2.0"), (LLAMA31.id, "llama3.1")])]
    assert r.commercial.status is CommercialOutcome.ALLOWED


def test_r05_eu_party_and_multimodal_llama_3_2() -> None:
    base = m("meta-llama/Llama-3.2-11B-Vision", "llama3.2")
    eu = Party("eu-lab", eu_domiciled=True)
    child = m("eu-lab/Llama-vision-ft", "llama3.2", pipeline_tag="image-text-to-text", party=eu)
    r = evaluate([base, child], [e(child.id, base.id)], child.id)
    assert found(r) == [("R05", [(child.id, "llama3.2")])]  # its own declaration is the nearest source
    text = m("eu-lab/Llama-text-ft", "llama3.2", pipeline_tag="text-generation", party=eu)
    assert evaluate([base, text], [e(text.id, base.id)], text.id).conflicts == ()
    unsure = m("someone/Llama-vision-ft", "llama3.2", pipeline_tag="image-text-to-text")
    r = evaluate([base, unsure], [e(unsure.id, base.id)], unsure.id)
    assert r.conflicts == () and "R05" in r.unchecked_rules


def test_r06_publisher_above_the_mau_threshold() -> None:
    big = m("bigco/Llama-assistant", "llama3.1", party=Party("bigco", monthly_active_users=800_000_000))
    r = evaluate([LLAMA31, big], [e(big.id, LLAMA31.id)], big.id)
    assert found(r) == [("R06", [(big.id, "llama3.1")])]
    small = m("small/Llama-assistant", "llama3.1", party=Party("small", monthly_active_users=10))
    assert evaluate([LLAMA31, small], [e(small.id, LLAMA31.id)], small.id).conflicts == ()


def test_r07_r08_gemma_terms_dropped_by_weights_or_by_outputs() -> None:
    ft = evaluate([GEMMA, m("x/gemma-ft", "cc-by-4.0")], [e("x/gemma-ft", GEMMA.id)], "x/gemma-ft")
    assert found(ft) == [("R07", [("x/gemma-ft", "cc-by-4.0"), (GEMMA.id, "gemma")])]
    distil = evaluate([GEMMA, m("x/distil", "apache-2.0")], [e("x/distil", GEMMA.id, via_outputs=True)], "x/distil")
    assert found(distil) == [("R08", [("x/distil", "apache-2.0"), (GEMMA.id, "gemma")])]
    assert "safety_filter_circumvention" in distil.restrictions


def test_r09_hosted_gemma_derivative() -> None:
    dep = DeploymentRef("provider:acme:x/gemma-chat", DeploymentKind.INFERENCE_PROVIDER, operator="acme")
    r = evaluate([GEMMA, m("x/gemma-chat", "gemma", deployments=(dep,))], [e("x/gemma-chat", GEMMA.id)],
                 "x/gemma-chat")
    assert found(r) == [("R09", [("x/gemma-chat", "gemma")])]


def test_r10_abliterated_derivatives() -> None:
    gemma = evaluate([GEMMA, m("x/gemma-2b-abliterated", "gemma")], [e("x/gemma-2b-abliterated", GEMMA.id)],
                     "x/gemma-2b-abliterated")
    assert rules(gemma) == ["R10a"]
    nvidia = m("nvidia/Nemotron-Mini", "nvidia-open-model-license")
    child = m("x/Nemotron-Mini-uncensored", "nvidia-open-model-license")
    r = evaluate([nvidia, child], [e(child.id, nvidia.id)], child.id)
    assert found(r) == [("R10b", [(child.id, "nvidia-open-model-license")])]
    assert evaluate([nvidia], [], nvidia.id).conflicts == ()


def test_r11_rail_restrictions_dropped() -> None:
    sd = m("CompVis/stable-diffusion-v1-4", "creativeml-openrail-m")
    r = evaluate([sd, m("x/sd-ft", "mit")], [e("x/sd-ft", sd.id)], "x/sd-ft")
    assert found(r) == [("R11", [("x/sd-ft", "mit"), (sd.id, "creativeml-openrail-m")])]


def test_r12_gpl_meets_llama() -> None:
    gpl = m("gnu/base", "gpl-3.0")
    r = evaluate([gpl, LLAMA31, m("x/Llama-mix", "gpl-3.0")],
                 [e("x/Llama-mix", gpl.id, MERGE), e("x/Llama-mix", LLAMA31.id, MERGE)], "x/Llama-mix")
    assert rules(r) == ["R01", "R12", "R22a", "R22a"]
    child = m("x/Llama-mix-q", "gpl-3.0")
    q = evaluate([gpl, LLAMA31, m("x/Llama-mix", "gpl-3.0"), child],
                 [e("x/Llama-mix", gpl.id, MERGE), e("x/Llama-mix", LLAMA31.id, MERGE),
                  e(child.id, "x/Llama-mix", QUANT)], child.id)
    assert "R12" not in rules(q)  # reported where the licences meet, not again downstream


def test_r13_r14_share_alike_clashes() -> None:
    sa, ncsa = m("cc/sa", "cc-by-sa-4.0"), m("cc/ncsa", "cc-by-nc-sa-4.0")
    r13 = evaluate([sa, LLAMA31, m("x/Llama-mix", "llama3.1")],
                   [e("x/Llama-mix", sa.id, MERGE), e("x/Llama-mix", LLAMA31.id, MERGE)], "x/Llama-mix")
    assert rules(r13) == ["R13", "R22a", "R22a", "R29"]
    r14 = evaluate([sa, ncsa, m("x/mix", "cc-by-nc-sa-4.0")],
                   [e("x/mix", sa.id, MERGE), e("x/mix", ncsa.id, MERGE)], "x/mix")
    assert rules(r14) == ["R14", "R22a", "R25"]


def test_r16_openmdw_parent() -> None:
    r = evaluate([m("org/base", "openmdw-1.0"), m("x/ft", "apache-2.0")], [e("x/ft", "org/base")], "x/ft")
    assert found(r) == [("R16", [("x/ft", "apache-2.0"), ("org/base", "openmdw-1.0")])]


def test_r17_non_commercial_parent_in_a_merge() -> None:
    apache, nc = m("a/base", "apache-2.0"), m("b/nc-tune", "cc-by-nc-4.0")
    bad = evaluate([apache, nc, m("x/mix", "apache-2.0")], [e("x/mix", apache.id, MERGE), e("x/mix", nc.id, MERGE)],
                   "x/mix")
    assert found(bad) == [("R17", [("x/mix", "apache-2.0"), (nc.id, "cc-by-nc-4.0")]),
                          ("R22a", [("x/mix", "apache-2.0"), (nc.id, "cc-by-nc-4.0")])]
    assert (bad.commercial.status, bad.commercial.governing_license) == (
        CommercialOutcome.NON_COMMERCIAL, "cc-by-nc-4.0")
    ok = evaluate([apache, nc, m("x/mix", "cc-by-nc-4.0")], [e("x/mix", apache.id, MERGE), e("x/mix", nc.id, MERGE)],
                  "x/mix")
    assert rules(ok) == ["R15", "R22a"] and ok.count(Severity.VIOLATION) == 0


def test_r18_no_distribution_licence_redistributed() -> None:
    wizard = m("WizardLMTeam/WizardMath-7B", "microsoft-research-license")
    merge = m("mlabonne/Beyonder-4x7B-v2", "microsoft-research-license")
    r = evaluate([wizard, m("a/base", "apache-2.0"), merge],
                 [e(merge.id, wizard.id, MERGE), e(merge.id, "a/base", MERGE)], merge.id)
    assert rules(r) == ["R15", "R18", "R22a"]
    assert r.commercial.status is CommercialOutcome.NO_DISTRIBUTION
    microsoft = m("microsoft/phi-1_5", "microsoft-research-license")
    assert evaluate([microsoft], [], microsoft.id).conflicts == ()  # the licensor itself


def test_r19_non_commercial_material_used_commercially() -> None:
    flux = m("black-forest-labs/FLUX.1-dev", "flux-1-dev-non-commercial-license")
    paid = DeploymentRef("endpoint:x", DeploymentKind.ENDPOINT, operator="x", monetised=True)
    lora = m("x/flux-lora", "flux-1-dev-non-commercial-license", deployments=(paid,))
    r = evaluate([flux, lora], [e(lora.id, flux.id, ADAPTER)], lora.id)
    assert found(r) == [("R19", [(lora.id, "flux-1-dev-non-commercial-license")])]
    assert r.commercial.status is CommercialOutcome.NON_COMMERCIAL


def test_r17_r29_flux_finetune_declared_apache() -> None:
    flux = m("black-forest-labs/FLUX.1-dev", "flux-1-dev-non-commercial-license")
    r = evaluate([flux, m("x/flux-ft", "apache-2.0")], [e("x/flux-ft", flux.id)], "x/flux-ft")
    path = [("x/flux-ft", "apache-2.0"), (flux.id, "flux-1-dev-non-commercial-license")]
    assert found(r) == [("R17", path), ("R29", path)]


def test_r20_stability_revenue_threshold() -> None:
    sd3 = m("stabilityai/stable-diffusion-3.5-large", "stabilityai-ai-community")
    rich = m("x/sd3-lora", "stabilityai-ai-community", party=Party("x", annual_revenue_usd=5_000_000))
    r = evaluate([sd3, rich], [e(rich.id, sd3.id, ADAPTER)], rich.id)
    assert found(r) == [("R20", [(rich.id, "stabilityai-ai-community")])]
    assert (r.commercial.revenue_threshold_usd, r.commercial.registration_required) == (1_000_000, True)


def test_r21_tongyi_outputs_train_another_model() -> None:
    qwen = m("Qwen/Qwen-7B", "tongyi-qianwen")
    r = evaluate([qwen, m("x/distil", "apache-2.0")], [e("x/distil", qwen.id, via_outputs=True)], "x/distil")
    assert found(r) == [("R21", [("x/distil", "apache-2.0"), (qwen.id, "tongyi-qianwen")])]
    qwen_child = m("x/qwen-distil", "tongyi-qianwen")
    ok = evaluate([qwen, m("Qwen/Qwen-1.8B", "tongyi-qianwen"), qwen_child],
                  [e(qwen_child.id, qwen.id, via_outputs=True), e(qwen_child.id, "Qwen/Qwen-1.8B")], qwen_child.id)
    assert "R21" not in rules(ok)  # a Tongyi Qianwen derivative is excepted


def test_r22b_incompatible_naming_rules(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    qwen = data / "licenses" / "qwen.yaml"
    qwen.write_text(qwen.read_text(encoding="utf-8").replace(
        "      - kind: must_not_use_as_primary_name\n        value: Qwen",
        "      - kind: must_begin_with\n        value: Qwen"), encoding="utf-8")
    catalog = LicenseCatalog.load(data)
    research = m("Qwen/Qwen2.5-3B", "qwen-research")
    merge = m("x/Llama-Qwen-merge", "llama3.1")
    r = evaluate([LLAMA31, research, merge], [e(merge.id, LLAMA31.id, MERGE), e(merge.id, research.id, MERGE)],
                 merge.id, catalog)
    assert "R22b" in rules(r)


def test_r23_quantization_drops_its_parents_terms() -> None:
    r = evaluate([GEMMA, m("x/gemma-2b-GGUF", "apache-2.0")], [e("x/gemma-2b-GGUF", GEMMA.id, QUANT)],
                 "x/gemma-2b-GGUF")
    assert found(r) == [("R23", [("x/gemma-2b-GGUF", "apache-2.0"), (GEMMA.id, "gemma")])]
    base, quant = m("openai/gpt-oss-120b", "apache-2.0"), m("nvidia/gpt-oss-120b-FP4", "nvidia-open-model-license")
    nvidia = evaluate([base, quant], [e(quant.id, base.id, QUANT)], quant.id)
    assert rules(nvidia) == ["R15"]  # a permissive base may be relicensed under stricter terms


def test_r26_r27_modifier_becomes_provider() -> None:
    base = m("b/base", "cc-by-nc-4.0", training_compute_flops=3e24)
    big = m("x/continued", "cc-by-nc-4.0", modification_compute_flops=2e24)
    r = evaluate([base, big], [e(big.id, base.id)], big.id)
    assert rules(r) == ["R26", "R27"]
    small = m("x/lora", "cc-by-nc-4.0", modification_compute_flops=1e20)
    assert evaluate([base, small], [e(small.id, base.id, ADAPTER)], small.id).conflicts == ()


def test_r28_high_risk_deployment() -> None:
    dep = DeploymentRef("registered:hr-screening", DeploymentKind.REGISTERED, operator="hr-co", high_risk_purpose=True)
    r = evaluate([m("a/base", "apache-2.0", deployments=(dep,))], [], "a/base")
    assert found(r) == [("R28", [("a/base", "apache-2.0")])]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_a_meaning(rule: str) -> None:
    assert RULES[rule].meaning.endswith(".") and len(RULES[rule].meaning) > 20


def test_r30_published_adaptation_of_no_derivatives_material() -> None:
    base = m("x/portrait-nd", "cc-by-nd-4.0")
    tuned = evaluate([base, m("y/portrait-tuned", "cc-by-nd-4.0")], [e("y/portrait-tuned", base.id)],
                     "y/portrait-tuned")
    assert ("R30", [("y/portrait-tuned", "cc-by-nd-4.0"), (base.id, "cc-by-nd-4.0")]) in found(tuned)
    assert RULES["R30"].severity is Severity.VIOLATION
    lora = evaluate([base, m("y/portrait-lora", "mit")], [e("y/portrait-lora", base.id, ADAPTER)], "y/portrait-lora")
    assert "R30" in rules(lora)
    merge = evaluate([base, m("z/other", "apache-2.0"), m("y/merged", "cc-by-nd-4.0")],
                     [e("y/merged", base.id, MERGE), e("y/merged", "z/other", MERGE)], "y/merged")
    assert rules(merge).count("R30") == 1
    # a quantization is a format change, not an adaptation; outputs are not the licensed material
    quant = evaluate([base, m("y/portrait-gguf", "cc-by-nd-4.0")], [e("y/portrait-gguf", base.id, QUANT)],
                     "y/portrait-gguf")
    assert "R30" not in rules(quant) and quant.conflicts == ()
    distil = evaluate([base, m("y/student", "cc-by-nd-4.0")], [e("y/student", base.id, via_outputs=True)], "y/student")
    assert "R30" not in rules(distil)
    unknown = evaluate([base, m("y/unsure", "cc-by-nd-4.0")], [e("y/unsure", base.id, Relation.UNKNOWN)], "y/unsure")
    assert "R30" not in rules(unknown) and "R30" in unknown.unchecked_rules
    # a grandchild of ND material reaches it through an adapting edge as well
    grand = evaluate([base, m("y/portrait-tuned", "cc-by-nd-4.0"), m("w/tuned-again", "cc-by-nd-4.0")],
                     [e("y/portrait-tuned", base.id), e("w/tuned-again", "y/portrait-tuned")], "w/tuned-again")
    assert "R30" in rules(grand)
    by = m("x/portrait-by", "cc-by-4.0")
    assert "R30" not in rules(evaluate([by, m("y/by-tuned", "cc-by-4.0")], [e("y/by-tuned", by.id)], "y/by-tuned"))
