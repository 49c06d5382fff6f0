"""crawler.inference: inferred parents from configs, GGUF metadata, card prose and names."""

from __future__ import annotations

import json

from crawler.inference import (
    from_adapter_config,
    from_card_fields,
    from_card_text,
    from_config_json,
    from_gguf,
    from_mergekit_config,
    hub_model_links,
    mergekit_blocks,
    name_pattern_base,
    quantized_format,
    split_front_matter,
    structural_relation,
    with_merge_rule,
)
from crawler.observations import EvidenceKind, Relation

THEBLOKE_CARD = """
# Llama 2 7B - GGUF
- Model creator: [Meta](https://huggingface.co/meta-llama)
- Original model: [Llama 2 7B](https://huggingface.co/meta-llama/Llama-2-7b-hf)

## Description
This repo contains GGUF format model files for [Meta's Llama 2 7B](https://huggingface.co/meta-llama/Llama-2-7b-hf).
Other repositories available: https://huggingface.co/TheBloke/Llama-2-7B-GPTQ
"""

BARTOWSKI_CARD = """
## Llamacpp imatrix Quantizations of Meta-Llama-3.1-8B-Instruct

Using <a href="https://github.com/ggerganov/llama.cpp/">llama.cpp</a> release b3472 for quantization.

Original model: https://huggingface.co/meta-llama/Meta-Llama-3.1-8B-Instruct

Run them in [LM Studio](https://lmstudio.ai/)
"""

QUANTFACTORY_CARD = (
    "# QuantFactory/Meta-Llama-3.1-8B-GGUF\nThis is quantized version of "
    "[meta-llama/Meta-Llama-3.1-8B](https://huggingface.co/meta-llama/Meta-Llama-3.1-8B) created using llama.cpp\n"
    "# Original Model Card\n## Model Information\nSee https://huggingface.co/datasets/foo/bar and "
    "https://huggingface.co/spaces/foo/demo"
)

MERGEKIT_SLERP = """
slices:
  - sources:
      - model: Q-bert/MetaMath-Cybertron
        layer_range: [0, 32]
      - model: berkeley-nest/Starling-LM-7B-alpha
        layer_range: [0, 32]
merge_method: slerp
base_model: Q-bert/MetaMath-Cybertron
parameters:
  t: 0.5
dtype: bfloat16
"""

MERGEKIT_TIES = """
models:
  - model: SillyTilly/google-gemma-2-9b
  - model: spacematt/gemma-2-9B-it-blend
    parameters: {density: 0.5, weight: 0.5}
  - model: ./local/checkpoint-500
merge_method: ties
base_model: SillyTilly/google-gemma-2-9b
"""


def test_adapter_config() -> None:
    text = json.dumps({"base_model_name_or_path": "mistralai/Mistral-7B-v0.1", "peft_type": "LORA", "r": 16})
    [found], problem = from_adapter_config(text, "me/lora")
    assert problem is None
    assert (found.parent_id, found.relation, found.kind) == ("mistralai/Mistral-7B-v0.1", Relation.ADAPTER, EvidenceKind.ADAPTER_CONFIG)
    assert 0 < found.confidence < 1 and "peft_type LORA" in found.detail
    found_local, problem = from_adapter_config(json.dumps({"base_model_name_or_path": "/home/me/llama"}), "me/lora")
    assert found_local == [] and problem is not None and "/home/me/llama" in problem
    assert from_adapter_config("{not json", "me/lora")[1] is not None
    assert from_adapter_config("[1, 2]", "me/lora")[1] is not None


def test_mergekit_slices_and_models() -> None:
    found, problem = from_mergekit_config(MERGEKIT_SLERP, "Q-bert/MetaMath-Cybertron-Starling")
    assert problem is None
    assert [f.parent_id for f in found] == ["Q-bert/MetaMath-Cybertron", "berkeley-nest/Starling-LM-7B-alpha"]
    assert {f.relation for f in found} == {Relation.MERGE} and "merge_method slerp" in found[0].detail
    found, _ = from_mergekit_config(MERGEKIT_TIES, "spacematt/gemma-2-9B-it-blend-rebase")
    assert [f.parent_id for f in found] == ["SillyTilly/google-gemma-2-9b", "spacematt/gemma-2-9B-it-blend"]
    assert from_mergekit_config("models: [unclosed", "x/y")[1] is not None


def test_mergekit_blocks_in_card_body() -> None:
    body = "## Configuration\n\n```yaml\n" + MERGEKIT_SLERP + "```\n\n```python\nprint(1)\n```\n"
    assert mergekit_blocks(body) == [MERGEKIT_SLERP.lstrip("\n")]


def test_gguf_source_then_base_model() -> None:
    flat = {
        "general.base_model.count": 1,
        "general.base_model.0.repo_url": "https://huggingface.co/Qwen/Qwen3-4B-Instruct-2507",
        "total": 4022468096,
    }
    [found] = from_gguf(flat, "itzmealvin/GGUF_Qwen3-2507-4B-IT-Q4KM")
    assert (found.parent_id, found.relation, found.kind) == ("Qwen/Qwen3-4B-Instruct-2507", Relation.QUANTIZED, EvidenceKind.GGUF_METADATA)
    nested = {"general": {"source": {"huggingface": {"repository": "meta-llama/Llama-3.1-8B-Instruct"}},
                          "base_model": [{"repo_url": "https://huggingface.co/meta-llama/Llama-3.1-8B"}]}}
    [found] = from_gguf(nested, "me/Llama-3.1-8B-Instruct-GGUF")
    assert found.parent_id == "meta-llama/Llama-3.1-8B-Instruct" and found.confidence > 0.8
    assert from_gguf({"total": 1, "architecture": "llama"}, "x/y") == []
    assert from_gguf("garbage", "x/y") == []


def test_config_name_or_path_ignores_local_paths() -> None:
    [found] = from_config_json({"_name_or_path": "microsoft/phi-2"}, "me/phi-2-ft", Relation.FINETUNE)
    assert (found.parent_id, found.kind, found.confidence) == ("microsoft/phi-2", EvidenceKind.CONFIG_NAME_OR_PATH, 0.5)
    for local in ("/data/models/llama", "./out", "~/ckpt", "C:\\models\\x", "output/run1/checkpoint-500", "me/phi-2-ft"):
        assert from_config_json(json.dumps({"_name_or_path": local}), "me/phi-2-ft", Relation.FINETUNE) == []
    assert from_config_json("not json", "me/x", Relation.FINETUNE) == []


def test_card_text_thebloke_bartowski_quantfactory() -> None:
    [found] = from_card_text(THEBLOKE_CARD, "TheBloke/Llama-2-7B-GGUF", Relation.QUANTIZED)
    assert (found.parent_id, found.relation, found.kind) == ("meta-llama/Llama-2-7b-hf", Relation.QUANTIZED, EvidenceKind.CARD_TEXT)
    assert found.detail.startswith("card text: Original model:")
    [found] = from_card_text(BARTOWSKI_CARD, "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", Relation.QUANTIZED)
    assert found.parent_id == "meta-llama/Meta-Llama-3.1-8B-Instruct"
    [found] = from_card_text(QUANTFACTORY_CARD, "QuantFactory/Meta-Llama-3.1-8B-GGUF", Relation.FINETUNE)
    assert (found.parent_id, found.relation) == ("meta-llama/Meta-Llama-3.1-8B", Relation.QUANTIZED)


def test_card_text_single_link_is_weak_and_several_links_say_nothing() -> None:
    [found] = from_card_text("Fine-tuned from https://huggingface.co/microsoft/phi-2 on my data.", "me/x", Relation.FINETUNE)
    assert found.parent_id == "microsoft/phi-2" and found.confidence < 0.5
    two = "See https://huggingface.co/a/one and https://hf.co/b/two."
    assert from_card_text(two, "me/x", Relation.FINETUNE) == []
    assert hub_model_links(two, "me/x") == ["a/one", "b/two"]
    assert hub_model_links("http://127.0.0.1:8765/a/b", "me/x", hosts=["127.0.0.1:8765"]) == ["a/b"]
    assert hub_model_links("https://example.com/a/b https://huggingface.co/datasets/a/b", "me/x") == []


def test_name_patterns_and_formats() -> None:
    assert name_pattern_base("bartowski/Meta-Llama-3.1-70B-Instruct-IMat-GGUF") == ("Meta-Llama-3.1-70B-Instruct", "GGUF")
    assert name_pattern_base("unsloth/Llama-3.2-1B-Instruct-bnb-4bit") == ("Llama-3.2-1B-Instruct", "BNB-4BIT")
    assert name_pattern_base("bartowski/gemma-2-9b-it-exl2") == ("gemma-2-9b-it", "EXL2")
    assert name_pattern_base("stelterlab/DeepSeek-R1-Distill-Qwen-14B-AWQ") == ("DeepSeek-R1-Distill-Qwen-14B", "AWQ")
    assert name_pattern_base("microsoft/phi-2") is None
    assert quantized_format("mlx-community/phi-2", [], None, None) == "MLX"
    assert quantized_format("x/y", ["model-Q4_K_M.gguf"], None, None) == "GGUF"
    assert quantized_format("x/y", ["quantize_config.json"], None, None) == "GPTQ"
    assert quantized_format("x/y", [], {"quantization_config": {"quant_method": "awq"}}, None) == "AWQ"
    assert quantized_format("x/y", ["model.safetensors"], {}, None) is None


def test_structural_relation_and_merge_rule() -> None:
    assert structural_relation("x/y", ["adapter_config.json", "adapter_model.safetensors"], None, None)[0] is Relation.ADAPTER
    assert structural_relation("x/y-GPTQ", ["model.safetensors"], None, None)[0] is Relation.QUANTIZED
    assert structural_relation("x/y", ["model.safetensors"], None, None) == (None, None)
    [one] = from_card_text("Original model: a/one", "x/y", Relation.FINETUNE)
    two = with_merge_rule([one, one.__class__("b/two", Relation.FINETUNE, one.kind, one.detail, one.confidence)])
    assert {item.relation for item in two} == {Relation.MERGE}
    assert with_merge_rule([one]) == [one]


def test_front_matter() -> None:
    assert split_front_matter("---\nlicense: mit\n---\n# Title") == ("license: mit", "# Title")
    assert split_front_matter("# no front matter") == (None, "# no front matter")
    assert split_front_matter("---\nlicense: mit\nno end") == (None, "---\nlicense: mit\nno end")


def test_card_field_model_link() -> None:
    card = {"license": "llama2", "model_link": "https://huggingface.co/meta-llama/Llama-2-7b-hf", "model_name": "Llama 2 7B"}
    [found] = from_card_fields(card, "TheBloke/Llama-2-7B-GGUF", Relation.QUANTIZED)
    assert (found.parent_id, found.kind, found.confidence) == ("meta-llama/Llama-2-7b-hf", EvidenceKind.CARD_TEXT, 0.8)
    assert from_card_fields({"model_link": 3}, "x/y", Relation.FINETUNE) == []
    assert from_card_fields({"model_link": "https://example.com/a/b"}, "x/y", Relation.FINETUNE) == []
