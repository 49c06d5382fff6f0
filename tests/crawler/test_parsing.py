"""crawler.parsing on recorded Hub bodies and on hand-made bad cards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from huggingface_hub import ModelInfo

from crawler.observations import DeclaredLicense, EvidenceKind, GateState, ModelStatus, ProblemKind, Relation, Source
from crawler.parsing import (
    check_repo_id,
    declared_lineage,
    gate_state,
    parse_model,
    parse_relation,
    tag_bases,
)
from tests.support.hubfakes import FIXED_NOW, model_payload, recorded_body

SRC = Source("https://hub.test/api/models/x", "a" * 40, FIXED_NOW)


def parsed(body: dict[str, Any], **kwargs: Any) -> Any:
    return parse_model(ModelInfo(**body), SRC, **kwargs)


def kinds(problems: list[Any]) -> list[ProblemKind]:
    return [p.kind for p in problems]


def test_zephyr_recorded_model_info() -> None:
    result = parsed(recorded_body("models_HuggingFaceH4_zephyr-7b-beta.json"))
    model = result.model
    assert model.id == "HuggingFaceH4/zephyr-7b-beta"
    assert model.status is ModelStatus.AVAILABLE
    assert model.author == "HuggingFaceH4"
    assert model.declared_license == DeclaredLicense("mit")
    assert model.sha == "892b3d7a7b1cf10c7a701c60881cd93df615734c"
    assert model.gated is GateState.OPEN
    assert (model.params, model.params_source) == (7241732096, "safetensors total")
    assert model.pipeline_tag == "text-generation" and model.library == "transformers"
    assert model.created_at == datetime(2023, 10, 26, 11, 25, 49, tzinfo=UTC)
    assert model.datasets == ("HuggingFaceH4/ultrachat_200k", "HuggingFaceH4/ultrafeedback_binarized")
    evidence = {(d.parent_id, d.relation, d.evidence_kind, d.confidence) for d in result.declared.derivations}
    assert evidence == {
        ("mistralai/Mistral-7B-v0.1", Relation.FINETUNE, EvidenceKind.HUB_TAG, 1.0),
        ("mistralai/Mistral-7B-v0.1", Relation.FINETUNE, EvidenceKind.CARD_BASE_MODEL, 1.0),
    }
    assert result.problems == []
    assert [f.name for f in result.files][:3] == [".gitattributes", "README.md", "added_tokens.json"]
    assert all(f.sha256 is None for f in result.files)  # recorded without blobs=true


def test_llama_31_instruct_card_uses_old_name_tags_use_current() -> None:
    result = parsed(recorded_body("models_meta-llama_Llama-3.1-8B-Instruct.json"))
    assert result.model.gated is GateState.MANUAL
    assert result.model.declared_license == DeclaredLicense("llama3.1")
    by_kind = {d.evidence_kind: d for d in result.declared.derivations}
    assert by_kind[EvidenceKind.HUB_TAG].parent_id == "meta-llama/Llama-3.1-8B"
    assert by_kind[EvidenceKind.CARD_BASE_MODEL].parent_id == "meta-llama/Meta-Llama-3.1-8B"
    # the card's relation comes from the Hub's tag, which the Hub computed from this card
    assert by_kind[EvidenceKind.CARD_BASE_MODEL].relation is Relation.FINETUNE
    [problem] = result.problems
    assert problem.kind is ProblemKind.CARD_TAG_DISAGREE
    assert "meta-llama/Meta-Llama-3.1-8B" in problem.message and "meta-llama/Llama-3.1-8B" in problem.message


def test_card_base_model_as_list_and_no_declaration() -> None:
    roberta = parsed(recorded_body("models_deepset_roberta-base-squad2.json"))
    assert {d.parent_id for d in roberta.declared.derivations} == {"FacebookAI/roberta-base"}
    assert roberta.model.declared_license == DeclaredLicense("cc-by-4.0")
    assert roberta.model.params == 124057092
    llama3 = parsed(recorded_body("models_meta-llama_Meta-Llama-3-8B-Instruct.json"))
    assert llama3.declared.derivations == [] and llama3.declared.parents == []


def test_parameter_count_says_which_listing_it_comes_from() -> None:
    gguf = parsed(model_payload("o/m-GGUF", gguf={"total": 7241732096, "architecture": "llama"}))
    assert (gguf.model.params, gguf.model.params_source) == (7241732096, "gguf total")
    both = parsed(model_payload("o/m", safetensors={"parameters": {"BF16": 10}, "total": 10}, gguf={"total": 99}))
    assert (both.model.params, both.model.params_source) == (10, "safetensors total")
    # the card and the name say nothing the crawler counts: "7b" in an id is not a parameter count
    named = parsed(model_payload("o/llama-7b", extra_card={"model-index": [{"name": "llama-7b", "results": []}]}))
    assert (named.model.params, named.model.params_source) == (None, None)


def test_files_carry_lfs_sha256_and_size_when_blobs_requested() -> None:
    body = model_payload("o/m")
    body["siblings"] = [
        {"rfilename": "README.md", "size": 120, "blobId": "b" * 40},
        {
            "rfilename": "model.safetensors",
            "size": 383865448,
            "blobId": "c" * 40,
            "lfs": {"sha256": "d" * 64, "size": 383865448, "pointerSize": 134},
        },
    ]
    files = {f.name: f for f in parsed(body).files}
    assert files["model.safetensors"].sha256 == "d" * 64 and files["model.safetensors"].size == 383865448
    assert files["README.md"].sha256 is None and files["README.md"].size == 120


def test_sibling_list_is_capped() -> None:
    body = model_payload("o/m", siblings=[f"shard-{i:05d}.bin" for i in range(50)])
    result = parsed(body, max_siblings=10)
    assert len(result.files) == 10 and result.siblings_total == 50
    assert kinds(result.problems) == [ProblemKind.TOO_LARGE]


@pytest.mark.parametrize(
    ("base_model", "expected"),
    [
        (42, ProblemKind.INVALID_BASE_MODEL),
        ({"name": "a/b"}, ProblemKind.INVALID_BASE_MODEL),
        ([["a/b"]], ProblemKind.INVALID_BASE_MODEL),
        ([None], ProblemKind.INVALID_BASE_MODEL),
        ("not a repo id!", ProblemKind.INVALID_REPO_ID),
        ("datasets/a/b", ProblemKind.INVALID_REPO_ID),
        ("./checkpoints/final", ProblemKind.INVALID_REPO_ID),
        ("o/m", ProblemKind.SELF_REFERENCE),
    ],
)
def test_bad_base_model_values_become_problems(base_model: object, expected: ProblemKind) -> None:
    body = model_payload("o/m", base_model=base_model, tags=["license:apache-2.0"])
    result = parsed(body)
    assert result.declared.derivations == []
    assert expected in kinds(result.problems)


def test_list_with_one_bad_entry_keeps_the_good_ones() -> None:
    body = model_payload("o/m", base_model=["a/one", 7, "b/two"], tags=[])
    result = parsed(body)
    assert [d.parent_id for d in result.declared.derivations] == ["a/one", "b/two"]
    assert {d.relation for d in result.declared.derivations} == {Relation.MERGE}  # several parents → merge
    assert ProblemKind.INVALID_BASE_MODEL in kinds(result.problems)
    # tags were read (an empty list) and name no base model: the Hub did not recognise the card's bases
    assert ProblemKind.CARD_TAG_DISAGREE in kinds(result.problems)


def test_declared_relation_wins_and_bad_relation_is_reported() -> None:
    body = model_payload("o/lora", base_model="a/base", relation="adapter")
    assert {d.relation for d in parsed(body).declared.derivations} == {Relation.ADAPTER}
    body = model_payload("o/m", base_model="a/base", relation="distilled", tags=[])
    result = parsed(body, fallback_relation=Relation.QUANTIZED)
    assert [d.relation for d in result.declared.derivations] == [Relation.QUANTIZED]
    assert ProblemKind.INVALID_BASE_MODEL in kinds(result.problems)


def test_card_data_that_is_not_a_mapping() -> None:
    body = model_payload("o/m")
    body["cardData"] = ["license: mit", "base_model: a/b"]
    result = parsed(body)
    assert ProblemKind.MALFORMED_CARD in kinds(result.problems)
    assert result.model.declared_license == DeclaredLicense("apache-2.0")  # from the license:<id> tag


def test_missing_card_data() -> None:
    body = model_payload("o/m", license=None, tags=[])
    body["cardData"] = None
    result = parsed(body)
    assert result.model.declared_license is None and result.problems == []


def test_tags_only_relation_and_bare_tag() -> None:
    bases, bad = tag_bases(
        ["base_model:a/b", "base_model:quantized:a/b", "base_model:c", "base_model:weird:a/b", "base_model:finetune:x y"]
    )
    assert [(b.parent_id, b.relation) for b in bases] == [("a/b", None), ("a/b", Relation.QUANTIZED), ("c", None)]
    assert bad == ["base_model:weird:a/b", "base_model:finetune:x y"]
    out = declared_lineage("o/m", None, ["base_model:a/b", "base_model:quantized:a/b"], SRC, fallback_relation=Relation.FINETUNE)
    assert [(d.parent_id, d.relation, d.evidence_detail) for d in out.derivations] == [
        ("a/b", Relation.QUANTIZED, "tag base_model:quantized:a/b")
    ]


def test_self_reference_in_tags() -> None:
    out = declared_lineage("o/m", None, ["base_model:finetune:o/m"], SRC, fallback_relation=Relation.FINETUNE)
    assert out.derivations == [] and kinds(out.problems) == [ProblemKind.SELF_REFERENCE]


def test_small_helpers() -> None:
    assert check_repo_id("meta-llama/Llama-3.1-8B") is None
    assert check_repo_id("gpt2") is None
    assert check_repo_id("a/b/c") is not None and check_repo_id(" a/b") is not None and check_repo_id(3) is not None
    assert parse_relation("Quantized") is Relation.QUANTIZED and parse_relation("unknown") is None
    assert [gate_state(v) for v in (False, "auto", "manual", None, "weird")] == [
        GateState.OPEN, GateState.AUTO, GateState.MANUAL, None, None
    ]
