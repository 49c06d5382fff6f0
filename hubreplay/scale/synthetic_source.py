"""Model payloads of the synthetic scale hub, rendered from the columns when a model is shown.

Per-model facts that nothing filters or sorts on (sha, ``_id``, likes, gated, card details,
safetensors) are derived from ``mix(seed, index, …)`` instead of being stored; the sha also mixes
in the model's change count, so a changed model gets a new sha.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Final

from hubreplay.scale.columns import RELATIONS
from hubreplay.scale.synthetic import FAMOUS_ROOTS, SyntheticHub, mix
from hubreplay.scale.vocabulary import FAMILIES, LICENSES

__all__ = ["LEGACY_PREFIX", "SyntheticSource", "hub_time"]

LEGACY_PREFIX: Final = "Old-"
_SORTS: Final = frozenset({"lastModified", "createdAt", "downloads"})
_LEGACY_CARD_PERCENT: Final = 2
_EXPLICIT_RELATION_PERCENT: Final = 30


def hub_time(seconds: int) -> str:
    """Seconds since the epoch in the Hub's format (``2024-07-23T15:00:00.000Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))


class SyntheticSource:
    """The synthetic hub as a :class:`~hubreplay.scale.catalog.ModelSource`."""

    def __init__(self, hub: SyntheticHub) -> None:
        self.hub = hub
        self.columns = hub.columns

    @property
    def sorts(self) -> frozenset[str]:
        return _SORTS

    @property
    def created_ascending(self) -> bool:
        return True

    def model_id(self, index: int) -> str:
        return self.hub.model_id(index)

    def lookup(self, model_id: str) -> int | None:
        return self.hub.lookup(model_id)

    def legacy_id(self, index: int) -> str:
        """The old name a card may still use for this model (it redirects to the current one)."""
        owner, name = self.model_id(index).split("/", 1)
        return f"{owner}/{LEGACY_PREFIX}{name}"

    def alias_target(self, model_id: str) -> str | None:
        owner, _, name = model_id.partition("/")
        if not name.startswith(LEGACY_PREFIX):
            return None
        current = f"{owner}/{name[len(LEGACY_PREFIX):]}"
        index = self.lookup(current)
        return current if index is not None and self.columns.is_live(index) else None

    def author_code(self, author: str) -> int | None:
        author = author.lower()
        hub = self.hub
        for prefix, start, size in (
            ("synthetic-org", 0, FAMOUS_ROOTS),
            ("synthetic-quant", FAMOUS_ROOTS, hub.quantizers),
            ("synthetic-user", FAMOUS_ROOTS + hub.quantizers, hub.users),
        ):
            number = author[len(prefix) :]
            if author.startswith(prefix) and number.isdigit() and int(number) < size:
                return start + int(number)
        return None

    def describe(self) -> dict[str, Any]:
        columns = self.columns
        return {
            "kind": "synthetic",
            "data": "invented: ids, licences, cards and counts are synthetic (synthetic-* namespaces); the shape "
            "follows the statistics of the bundled real topology",
            "seed": self.hub.seed,
            "models": len(columns) - sum(columns.deleted),
            "cycles": [[self.model_id(i) for i in cycle] for cycle in self.hub.cycles],
            "root_with_most_children": self.model_id(0),
        }

    # -- payload -------------------------------------------------------------------------------

    def sha(self, index: int) -> str:
        version = self.columns.version.get(index, 0)
        return hashlib.blake2b(f"{self.hub.seed}/{index}/{version}".encode(), digest_size=20).hexdigest()

    def info(self, index: int) -> dict[str, Any]:
        """The full model_info payload of model ``index``."""
        columns, seed = self.columns, self.hub.seed
        model_id = self.model_id(index)
        family = FAMILIES[columns.family[index]]
        relation = RELATIONS[columns.relation[index]]
        parents = [self.model_id(p) for p in columns.parents(index)]
        licence = LICENSES[columns.license[index]]
        h = mix(seed, index, 2)
        quant = self.hub.quant_format(index)
        library = family.library_name
        if quant is not None:
            library = "gguf" if quant == "GGUF" else "mlx" if quant.startswith("MLX") else library
        elif relation == "adapter" and library == "transformers":
            library = "peft"
        tags = [library, "safetensors" if quant != "GGUF" else "gguf", family.pipeline_tag]
        for parent in parents:
            tags.append(f"base_model:{parent}")
            tags.append(f"base_model:{relation}:{parent}")
        if licence is not None:
            tags.append(f"license:{licence.id}")
        tags.append("region:us")
        downloads = int(columns.downloads[index])
        gated: bool | str = family.gated if index < FAMOUS_ROOTS else False
        if h % 1000 < 20:
            gated = "auto"
        elif h % 1000 < 30:
            gated = "manual"
        info: dict[str, Any] = {
            "_id": hashlib.blake2b(f"id/{seed}/{index}".encode(), digest_size=12).hexdigest(),
            "id": model_id,
            "modelId": model_id,
            "author": model_id.split("/", 1)[0],
            "sha": self.sha(index),
            "lastModified": hub_time(columns.modified[index]),
            "createdAt": hub_time(columns.created[index]),
            "private": False,
            "gated": gated,
            "disabled": False,
            "downloads": downloads,
            "likes": int(downloads**0.5 * ((h >> 12) % 100) / 400),
            "library_name": library,
            "pipeline_tag": family.pipeline_tag,
            "tags": tags,
        }
        card = self._card(index, parents, relation, licence, h)
        if card:
            info["cardData"] = card
        info["siblings"] = [{"rfilename": name} for name in self._files(relation, quant, model_id)]
        info["spaces"] = []
        info["inferenceProviderMapping"] = {}
        if quant is None and relation != "adapter" and family.parameters and h % 10 < 6:
            info["safetensors"] = {"parameters": {"BF16": family.parameters}, "total": family.parameters}
        if quant == "GGUF":
            info["gguf"] = {"total": family.parameters, "architecture": family.architecture, "context_length": 32768}
        return info

    def _card(self, index: int, parents: list[str], relation: str, licence: Any, h: int) -> dict[str, Any]:
        card: dict[str, Any] = {}
        if licence is not None:
            card["license"] = licence.id
            if licence.name:
                card["license_name"] = licence.name
                card["license_link"] = licence.link
        if parents:
            named = list(parents)
            if (h >> 20) % 100 < _LEGACY_CARD_PERCENT:
                named[0] = self.legacy_id(self.columns.parents(index)[0])
            card["base_model"] = named if len(named) > 1 or (h >> 28) % 10 == 0 else named[0]
            if (h >> 36) % 100 < _EXPLICIT_RELATION_PERCENT:
                card["base_model_relation"] = relation
        return card

    @staticmethod
    def _files(relation: str, quant: str | None, model_id: str) -> list[str]:
        name = model_id.split("/", 1)[1]
        if quant == "GGUF":
            return [".gitattributes", "README.md", f"{name}.Q4_K_M.gguf"]
        if relation == "adapter":
            return [".gitattributes", "README.md", "adapter_config.json", "adapter_model.safetensors"]
        return [".gitattributes", "README.md", "config.json", "model.safetensors"]
