"""The invented parts of the synthetic scale hub: model families, licences and name parts.

Families stand for the Hub's large lineages (a FLUX-like text-to-image root with tens of thousands
of adapters, Qwen-, Llama-, Gemma-, BERT-like roots …) under ``synthetic-*`` names. Licence ids are
real Hub licence ids; which model carries which is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ADAPTER_SUFFIXES",
    "BASE_LICENSE_WEIGHTS",
    "DRIFT_LICENSE_WEIGHTS",
    "FAMILIES",
    "FAMILY_WEIGHTS",
    "FT_SUFFIXES",
    "IMAGE_ADAPTER_SUFFIXES",
    "IMAGE_PIPELINES",
    "IMAGE_QUANT_FORMATS",
    "LICENSES",
    "QUANT_FORMATS",
    "Family",
    "License",
    "license_code",
]


@dataclass(frozen=True, slots=True)
class Family:
    """What the models of one lineage share: name stem, task, library, architecture, size and root licence."""

    stem: str
    pipeline_tag: str
    library_name: str
    architecture: str
    parameters: int
    license: str
    gated: bool | str = False


@dataclass(frozen=True, slots=True)
class License:
    """A Hub licence id; ``name``/``link`` are set for ``other`` (the card's license_name / license_link)."""

    id: str
    name: str | None = None
    link: str | None = None


FLUX_LICENSE_LINK: Final = "https://huggingface.co/synthetic-org0/FLUX-dev-0/blob/main/LICENSE.md"

LICENSES: Final[tuple[License | None, ...]] = (
    None,
    License("apache-2.0"),
    License("mit"),
    License("cc-by-nc-4.0"),
    License("cc-by-4.0"),
    License("openrail++"),
    License("creativeml-openrail-m"),
    License("llama3.1"),
    License("llama3.2"),
    License("gemma"),
    License("other", "flux-1-dev-non-commercial-license", FLUX_LICENSE_LINK),
    License("other", "synthetic-research-license", "LICENSE"),
    License("other", "mrl", "https://mistral.ai/licenses/MRL-0.1.md"),
    License("openrail"),
    License("gpl-3.0"),
    License("cc-by-sa-4.0"),
    License("bigscience-openrail-m"),
    License("cc-by-nc-sa-4.0"),
)


def license_code(license_id: str, name: str | None = None) -> int:
    """The column code of a licence (``name`` tells ``other`` licences apart)."""
    for code, entry in enumerate(LICENSES):
        if entry is not None and entry.id == license_id and (name is None or entry.name == name):
            return code
    raise KeyError(license_id)


FAMILIES: Final[tuple[Family, ...]] = (
    Family("FLUX-dev", "text-to-image", "diffusers", "flux", 11_901_408_320, "flux-1-dev-non-commercial-license"),
    Family("Qwen-0.5B-Instruct", "text-generation", "transformers", "qwen2", 494_032_768, "apache-2.0"),
    Family("bert-base-uncased", "fill-mask", "transformers", "bert", 110_106_428, "apache-2.0"),
    Family("Qwen-7B-Instruct", "text-generation", "transformers", "qwen2", 7_615_616_512, "apache-2.0"),
    Family("sdxl-base", "text-to-image", "diffusers", "sdxl", 3_469_000_000, "openrail++"),
    Family("distilbert-base-uncased", "text-classification", "transformers", "distilbert", 66_955_010, "apache-2.0"),
    Family("Llama-8B-Instruct", "text-generation", "transformers", "llama", 8_030_261_248, "llama3.1", "manual"),
    Family("illustrious-xl", "text-to-image", "diffusers", "sdxl", 3_469_000_000, "other-synthetic"),
    Family("gemma-4b-it", "image-text-to-text", "transformers", "gemma3", 4_300_079_472, "gemma", "manual"),
    Family("Llama-1B-Instruct", "text-generation", "transformers", "llama", 1_235_814_400, "llama3.2", "manual"),
    Family("gte-base", "sentence-similarity", "sentence-transformers", "bert", 136_776_192, "apache-2.0"),
    Family("Llama-8B", "text-generation", "transformers", "llama", 8_030_261_248, "llama3.1", "manual"),
    Family("Mistral-24B-Instruct", "text-generation", "transformers", "mistral", 23_572_403_200, "apache-2.0"),
    Family("whisper-small", "automatic-speech-recognition", "transformers", "whisper", 241_734_912, "apache-2.0"),
    Family("sd-1.5", "text-to-image", "diffusers", "sd", 1_066_235_307, "creativeml-openrail-m"),
    Family("phi-mini-instruct", "text-generation", "transformers", "phi3", 3_821_079_552, "mit"),
    Family("vit-base", "image-classification", "transformers", "vit", 86_389_248, "apache-2.0"),
    Family("t5-base", "text2text-generation", "transformers", "t5", 222_903_552, "apache-2.0"),
    Family("ppo-agent", "reinforcement-learning", "stable-baselines3", "ppo", 0, "mit"),
    Family("resnet-50", "image-classification", "timm", "resnet", 25_557_032, "apache-2.0"),
    Family("Mistral-24B-Research", "text-generation", "transformers", "mistral", 23_572_403_200, "mrl"),
)
# How often a model without a declared base belongs to each family (text generation dominates).
FAMILY_WEIGHTS: Final = (4, 6, 5, 12, 3, 6, 6, 2, 4, 5, 4, 4, 4, 5, 3, 4, 5, 4, 8, 3, 1)

_ROOT_LICENSE_NAMES: Final = {
    "flux-1-dev-non-commercial-license": license_code("other", "flux-1-dev-non-commercial-license"),
    "other-synthetic": license_code("other", "synthetic-research-license"),
    "mrl": license_code("other", "mrl"),
}


def family_license(family: Family) -> int:
    """The licence code a family's roots carry."""
    return _ROOT_LICENSE_NAMES.get(family.license) or license_code(family.license)


# Licence of a model that declares no base: (code, weight); about a third declare none.
BASE_LICENSE_WEIGHTS: Final = (
    (0, 38), (1, 25), (2, 12), (3, 4), (4, 4), (13, 3), (6, 3), (11, 3), (7, 2), (9, 1), (14, 2), (15, 2), (5, 1),
)  # fmt: skip
# Licence a child picks when it does not keep its parent's: dropped, permissive, non-commercial, custom.
DRIFT_LICENSE_WEIGHTS: Final = ((0, 35), (1, 25), (2, 15), (3, 10), (11, 8), (4, 7))

FT_SUFFIXES: Final = ("sft", "dpo", "orpo", "instruct", "chat", "math", "code", "rp", "med", "de", "ja", "v2", "grpo")
ADAPTER_SUFFIXES: Final = ("lora", "qlora", "lora-r16", "lora-sft", "peft-dpo")
IMAGE_ADAPTER_SUFFIXES: Final = ("lora", "lora-style", "lora-anime", "lora-portrait", "dreambooth", "ip-adapter")
QUANT_FORMATS: Final = ("GGUF", "GGUF", "GGUF", "GGUF", "AWQ", "GPTQ-Int4", "exl2-4bpw", "MLX-4bit", "bnb-4bit")
IMAGE_QUANT_FORMATS: Final = ("GGUF", "GGUF", "fp8", "nf4", "bnb-4bit")
IMAGE_PIPELINES: Final = frozenset({"text-to-image", "image-to-image"})
