"""The engine on real Hub families (rows copied from shared/hub-data into fixtures/).

``fixtures/hub_rows.jsonl`` holds the recorded rows (licence, licence name, base models,
relation, gated, source URL) of the models used here, from ``lineage_combined.jsonl``;
``fixtures/license_drift_edges.jsonl`` the matching rows of ``license_drift_edges.jsonl``.
Parents that the recording does not contain are left out of the view on purpose (dangling).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.observations import ModelStatus, Relation
from terms.propagation import (
    CommercialOutcome,
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    PropagationEngine,
    PropagationResult,
    Role,
    Severity,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line]


def _node(row: dict[str, Any]) -> ModelNode:
    declarations = (LicenseDeclaration(row["license"], row["license_name"]),) if row["license"] else ()
    status = ModelStatus.GATED if row["gated"] in ("auto", "manual") else ModelStatus.AVAILABLE
    return ModelNode(row["id"], declarations, status=status, pipeline_tag=row["pipeline_tag"])


@pytest.fixture(scope="module")
def results() -> dict[str, PropagationResult]:
    rows = _rows("hub_rows.jsonl")
    edges = [
        LineageEdge(row["id"], parent, Relation(row["relation"]) if row["relation"] else Relation.UNKNOWN)
        for row in rows for parent in row["base_models"]
    ]
    view = LineageView.build([_node(r) for r in rows], edges)
    return PropagationEngine().evaluate(view)


def conflicts(result: PropagationResult) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return sorted((c.rule, c.severity.value, [(s.model_id, s.license_id) for s in c.path]) for c in result.conflicts)


def test_fixture_rows_match_the_recorded_drift_edges(results: dict[str, PropagationResult]) -> None:
    rows = {r["id"]: r for r in _rows("hub_rows.jsonl")}
    for edge in _rows("license_drift_edges.jsonl"):
        if edge["kind"] != "direct_parent":
            continue
        assert rows[edge["child"]]["license"] == edge["child_license"]
        assert edge["parent"] in rows[edge["child"]]["base_models"]
        assert rows[edge["parent"]]["license"] == edge["parent_license"]


def test_apache_on_llama_3_1_is_a_violation_with_its_path(results: dict[str, PropagationResult]) -> None:
    r = results["fluently-lm/Llama-TI-8B"]
    assert conflicts(r) == [
        ("R01", "violation", [("fluently-lm/Llama-TI-8B", "apache-2.0"), ("meta-llama/Llama-3.1-8B", "llama3.1")]),
    ]  # the name begins with "Llama", so no naming conflict
    assert r.commercial.status is CommercialOutcome.CONDITIONAL
    assert (r.commercial.governing_license, r.commercial.mau_threshold) == ("llama3.1", 700_000_000)
    assert [(s.model_id, s.license_id) for s in r.commercial.path] == [
        ("fluently-lm/Llama-TI-8B", "apache-2.0"), ("meta-llama/Llama-3.1-8B", "llama3.1")]
    assert "military" in r.restrictions
    inherited = {t.term_id for t in r.terms if t.inherited}
    assert {"naming:must_begin_with:llama", "attribution:display:built-with-llama"} <= inherited


@pytest.mark.parametrize(("model_id", "declared"), [
    ("Gryphe/Pantheon-RP-1.0-8b-Llama-3", "apache-2.0"),
    ("Tijmen2/cosmosage-v3", "mit"),
])
def test_permissive_on_llama_3_violates_licence_and_name(results: dict[str, PropagationResult], model_id: str,
                                                         declared: str) -> None:
    path = [(model_id, declared), ("meta-llama/Meta-Llama-3-8B", "llama3")]
    assert conflicts(results[model_id]) == [("R01", "violation", path), ("R02", "violation", path)]
    naming = next(c for c in results[model_id].conflicts if c.rule == "R02")
    assert '"Llama 3"' in naming.message


def test_missing_llama_prefix_on_a_relabelled_llama_3_1_finetune(results: dict[str, PropagationResult]) -> None:
    r = results["NousResearch/Hermes-3-Llama-3.1-8B"]
    own = [("NousResearch/Hermes-3-Llama-3.1-8B", "llama3")]
    inherited = own + [("meta-llama/Meta-Llama-3.1-8B", "llama3.1")]
    # the naming rule comes from the Llama 3.1 material it carries, not from its mislabelled llama3 (that is R25)
    assert conflicts(r) == [("R02", "violation", inherited), ("R25", "warning", inherited)]
    (naming,) = [c for c in r.conflicts if c.rule == "R02"]
    assert '"Llama"' in naming.message and '"Llama 3"' not in naming.message
    assert sorted(lic.license_id for lic in r.licenses) == ["llama3", "llama3.1"]


def test_meta_own_models_carry_no_naming_conflict(results: dict[str, PropagationResult]) -> None:
    for model_id in ("meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B", "meta-llama/Meta-Llama-3-8B"):
        assert results[model_id].conflicts == ()


def test_non_commercial_merge_of_apache_parents_is_allowed(results: dict[str, PropagationResult]) -> None:
    r = results["Q-bert/MetaMath-Cybertron-Starling"]
    child = ("Q-bert/MetaMath-Cybertron-Starling", "cc-by-nc-4.0")
    assert conflicts(r) == [
        ("R15", "info", [child, ("Q-bert/MetaMath-Cybertron", "apache-2.0")]),
        ("R15", "info", [child, ("berkeley-nest/Starling-LM-7B-alpha", "apache-2.0")]),
    ]
    assert r.count(Severity.VIOLATION) == 0
    assert (r.commercial.status, r.commercial.governing_license) == (CommercialOutcome.NON_COMMERCIAL, "cc-by-nc-4.0")
    assert r.role is Role.MERGER
    assert results["Q-bert/MetaMath-Cybertron"].conflicts == ()


def test_zephyr_mit_on_an_apache_base_is_not_a_violation(results: dict[str, PropagationResult]) -> None:
    r = results["HuggingFaceH4/zephyr-7b-beta"]
    assert conflicts(r) == [
        ("R15", "info", [("HuggingFaceH4/zephyr-7b-beta", "mit"), ("mistralai/Mistral-7B-v0.1", "apache-2.0")]),
    ]
    assert r.commercial.status is CommercialOutcome.ALLOWED
    assert sorted((lic.license_id, lic.scope.value) for lic in r.licenses) == [
        ("apache-2.0", "flowing"), ("mit", "full")]


def test_quantization_relabelled_with_another_licence_is_a_violation(results: dict[str, PropagationResult]) -> None:
    r = results["modularai/llama-3.1"]
    assert conflicts(r) == [("R23", "violation", [("modularai/llama-3.1", "llama3"),
                                                  ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama3.1")])]
    (conflict,) = r.conflicts
    assert 'display "Built with Llama"' in conflict.message and "Notice file" in conflict.message
    assert r.role is Role.REDISTRIBUTOR


def test_faithful_gguf_quantizations_are_clean(results: dict[str, PropagationResult]) -> None:
    r = results["bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"]
    assert r.conflicts == ()  # quantizations keep the parent's name freely: no R02
    assert (r.commercial.status, r.commercial.governing_license) == (CommercialOutcome.CONDITIONAL, "llama3.1")
    undeclared = results["QuantFactory/Meta-Llama-3.1-8B-GGUF"]
    me = ("QuantFactory/Meta-Llama-3.1-8B-GGUF", "none")
    # redistributing Llama weights without the agreement copy and Notice is as serious as relabelling them
    assert conflicts(undeclared) == [("G07", "warning", [me]),
                                     ("R23", "violation", [me, ("meta-llama/Meta-Llama-3.1-8B", "llama3.1")])]
    assert undeclared.commercial.status is CommercialOutcome.CONDITIONAL  # a quantization keeps its parent's licence
    assert [(lic.license_id, lic.scope.value) for lic in undeclared.licenses] == [("llama3.1", "full")]


def test_ggml_relabelled_other_without_name_keeps_llama_terms_but_is_unknown(
        results: dict[str, PropagationResult]) -> None:
    r = results["TheBloke/Llama-2-7B-Chat-GGML"]
    assert conflicts(r) == [("G02", "warning", [("TheBloke/Llama-2-7B-Chat-GGML", "unknown")])]
    assert r.commercial.status is CommercialOutcome.UNKNOWN
    assert r.commercial.known_floor is CommercialOutcome.CONDITIONAL
    assert [lic.license_id for lic in r.licenses] == ["llama2"]


def test_gguf_of_a_parent_with_unnamed_other_licence_has_unknown_parts(results: dict[str, PropagationResult]) -> None:
    parent = results["Qwen/Qwen1.5-4B"]
    assert conflicts(parent) == [("G02", "warning", [("Qwen/Qwen1.5-4B", "unknown")])]
    r = results["happyme531/Qwen1.5-4B-GGUF"]
    assert conflicts(r) == [("G06", "warning", [("happyme531/Qwen1.5-4B-GGUF", "openrail"),
                                                ("Qwen/Qwen1.5-4B", "unknown")])]
    assert r.commercial.status is CommercialOutcome.UNKNOWN
    assert any("Qwen/Qwen1.5-4B" in part for part in r.unknown_parts)
    assert r.eu_ai_act.oss_exemption.value == "unknown"


def test_gemma_finetune_declared_apache_drops_the_use_policy(results: dict[str, PropagationResult]) -> None:
    r = results["LenguajeNaturalAI/leniachat-gemma-2b-v0"]
    assert conflicts(r) == [("R07", "violation", [("LenguajeNaturalAI/leniachat-gemma-2b-v0", "apache-2.0"),
                                                  ("google/gemma-2b", "gemma")])]
    assert "safety_filter_circumvention" in r.restrictions


def test_adapter_declaring_another_rail_licence(results: dict[str, PropagationResult]) -> None:
    r = results["nerijs/pixel-art-xl"]
    assert conflicts(r) == [("R24", "warning", [("nerijs/pixel-art-xl", "creativeml-openrail-m"),
                                                ("stabilityai/stable-diffusion-xl-base-1.0", "openrail++")])]
    assert r.role is Role.ADAPTER_AUTHOR


def test_research_licence_declared_on_an_apache_base(results: dict[str, PropagationResult]) -> None:
    r = results["Mawdistical/Pawdistic-FurMittens-24B"]
    assert [c.rule for c in r.conflicts] == ["R15"]
    assert (r.commercial.status, r.commercial.license_status) == (CommercialOutcome.RESEARCH_ONLY, "research_only")


def test_llama_3_2_declared_on_an_apache_parent_needs_the_llama_name(results: dict[str, PropagationResult]) -> None:
    r = results["piotr25691/thea-rp-3b-25r"]
    assert [(c.rule, c.severity) for c in r.conflicts] == [("R02", Severity.VIOLATION), ("R15", Severity.INFO)]


def test_unknown_parents_give_unknown_parts_and_named_gaps(results: dict[str, PropagationResult]) -> None:
    lora = results["openfree/flux-chatgpt-ghibli-lora"]
    assert conflicts(lora) == [
        ("G06", "warning", [("openfree/flux-chatgpt-ghibli-lora", "none"), ("black-forest-labs/FLUX.1-dev", "none")]),
        ("G07", "warning", [("openfree/flux-chatgpt-ghibli-lora", "none")]),
    ]
    assert lora.commercial.status is CommercialOutcome.UNKNOWN and lora.licenses == ()
    merge = results["spacematt/gemma-2-9B-it-blend-rebase"]
    me = ("spacematt/gemma-2-9B-it-blend-rebase", "none")
    assert conflicts(merge) == [
        ("G04", "warning", [me, ("SillyTilly/google-gemma-2-9b", "unknown")]),
        ("G04", "warning", [me, ("spacematt/gemma-2-9B-it-blend", "unknown")]),
        ("G07", "warning", [me]),
    ]
    grand = results["legraphista/Meta-Llama-3.1-70B-Instruct-IMat-GGUF"]
    assert [c.rule for c in grand.conflicts] == ["R23", "G06", "G07"]  # an undeclared quantization of llama3.1
    assert [(s.model_id, s.license_id) for s in grand.conflicts[1].path] == [
        ("legraphista/Meta-Llama-3.1-70B-Instruct-IMat-GGUF", "none"),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct", "llama3.1"),
        ("meta-llama/Meta-Llama-3.1-70B", "unknown")]
    assert (grand.commercial.status, grand.commercial.known_floor) == (
        CommercialOutcome.UNKNOWN, CommercialOutcome.CONDITIONAL)


def test_gated_parent_with_a_declared_licence_is_known(results: dict[str, PropagationResult]) -> None:
    r = results["mistralai/Mistral-Small-24B-Instruct-2501"]
    assert r.conflicts == () and r.commercial.status is CommercialOutcome.ALLOWED
    assert r.eu_ai_act.oss_reasons[1] == "weights: gated"
