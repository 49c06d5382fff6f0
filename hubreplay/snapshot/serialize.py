"""Turn huggingface_hub objects back into the Hub's JSON payloads (for recording a snapshot).

``HfApi`` parses every answer into ``ModelInfo`` / ``SpaceInfo`` / ``GitCommitInfo``; the recorder
only talks to the Hub through ``HfApi``, so it writes these objects back in the Hub's wire shape.
Known, harmless losses: card keys whose value is null, and keys huggingface_hub does not keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from huggingface_hub.hf_api import GitCommitInfo, ModelInfo, SpaceInfo

from hubreplay.snapshot.format import hub_datetime

__all__ = ["commit_payload", "merge_expanded", "model_payload", "space_payload"]

# (attribute, wire key) in the order the Hub sends them.
_MODEL_FIELDS: Final = (
    ("private", "private"),
    ("pipeline_tag", "pipeline_tag"),
    ("library_name", "library_name"),
    ("tags", "tags"),
    ("downloads", "downloads"),
    ("downloads_all_time", "downloadsAllTime"),
    ("likes", "likes"),
    ("modelId", "modelId"),
    ("author", "author"),
    ("sha", "sha"),
    ("last_modified", "lastModified"),
    ("gated", "gated"),
    ("inference", "inference"),
    ("disabled", "disabled"),
    ("mask_token", "mask_token"),
    ("widget_data", "widgetData"),
    ("model_index", "model-index"),
    ("config", "config"),
    ("card_data", "cardData"),
    ("transformers_info", "transformersInfo"),
    ("siblings", "siblings"),
    ("spaces", "spaces"),
    ("created_at", "createdAt"),
    ("safetensors", "safetensors"),
    ("gguf", "gguf"),
    ("used_storage", "usedStorage"),
    ("trending_score", "trendingScore"),
    ("security_repo_status", "securityRepoStatus"),
    ("inference_provider_mapping", "inferenceProviderMapping"),
    ("base_models", "baseModels"),
    ("children_model_count", "childrenModelCount"),
    ("resource_group", "resourceGroup"),
)
_SPACE_FIELDS: Final = (
    ("author", "author"),
    ("sha", "sha"),
    ("created_at", "createdAt"),
    ("last_modified", "lastModified"),
    ("private", "private"),
    ("gated", "gated"),
    ("disabled", "disabled"),
    ("host", "host"),
    ("subdomain", "subdomain"),
    ("likes", "likes"),
    ("sdk", "sdk"),
    ("tags", "tags"),
    ("trending_score", "trendingScore"),
    ("used_storage", "usedStorage"),
    ("card_data", "cardData"),
    ("siblings", "siblings"),
    ("models", "models"),
    ("datasets", "datasets"),
    ("region", "region"),
    ("resource_group", "resourceGroup"),
)
# Attributes huggingface_hub adds for backward compatibility, and parsed fields we do not write back.
_SKIP_EXTRAS: Final = frozenset({"lastModified", "cardData", "transformersInfo", "eval_results", "runtime"})


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return hub_datetime(value)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return value.to_dict()
    return value


def _siblings(siblings: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sibling in siblings:
        item: dict[str, Any] = {"rfilename": sibling.rfilename}
        if sibling.size is not None:
            item["size"] = sibling.size
        if sibling.blob_id is not None:
            item["blobId"] = sibling.blob_id
        if sibling.lfs is not None:
            item["lfs"] = {
                "sha256": sibling.lfs.sha256,
                "size": sibling.lfs.size,
                "pointerSize": sibling.lfs.pointer_size,
            }
        out.append(item)
    return out


def _provider_mapping(mappings: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mapping in mappings:
        entry: dict[str, Any] = {"status": mapping.status, "providerId": mapping.provider_id, "task": mapping.task}
        for attr, key in (("adapter", "adapter"), ("adapter_weights_path", "adapterWeightsPath"), ("type", "type")):
            value = getattr(mapping, attr, None)
            if value is not None:
                entry[key] = value
        out[mapping.provider] = entry
    return out


def _extras(obj: Any, known: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in vars(obj).items():
        if key in known or key in _SKIP_EXTRAS or value is None:
            continue
        if isinstance(value, str | int | float | bool | list | dict):
            out[key] = value
    return out


def model_payload(info: ModelInfo) -> dict[str, Any]:
    """The ``/api/models/{id}`` payload a ``ModelInfo`` was parsed from (model_info dict shapes)."""
    attrs = vars(info)
    out: dict[str, Any] = {}
    if attrs.get("_id") is not None:
        out["_id"] = attrs["_id"]
    out["id"] = info.id
    for attr, key in _MODEL_FIELDS:
        value = attrs.get(attr)
        if value is None:
            continue
        if attr == "siblings":
            out[key] = _siblings(value)
        elif attr == "inference_provider_mapping":
            out[key] = _provider_mapping(value)
        elif attr == "transformers_info" or attr == "safetensors":
            out[key] = {k: v for k, v in dict(value).items() if v is not None}
        else:
            out[key] = _wire(value)
    known = {attr for attr, _ in _MODEL_FIELDS} | {"id", "_id"}
    out.update(_extras(info, known))
    return out


def space_payload(info: SpaceInfo, *, models: list[str] | None = None) -> dict[str, Any]:
    """The ``/api/spaces/{id}`` payload of a ``SpaceInfo``; ``models`` adds model ids it is known to use."""
    attrs = vars(info)
    out: dict[str, Any] = {}
    if attrs.get("_id") is not None:
        out["_id"] = attrs["_id"]
    out["id"] = info.id
    for attr, key in _SPACE_FIELDS:
        value = attrs.get(attr)
        if value is None:
            continue
        out[key] = _siblings(value) if attr == "siblings" else _wire(value)
    if models:
        out["models"] = sorted({*(out.get("models") or ()), *models})
    known = {attr for attr, _ in _SPACE_FIELDS} | {"id", "_id"}
    out.update(_extras(info, known))
    return out


def commit_payload(commit: GitCommitInfo) -> dict[str, Any]:
    """One item of ``/api/models/{id}/commits/{rev}``."""
    out: dict[str, Any] = {
        "id": commit.commit_id,
        "title": commit.title,
        "message": commit.message,
        "authors": [{"user": user} for user in commit.authors],
        "date": hub_datetime(commit.created_at),
    }
    if commit.formatted_title is not None or commit.formatted_message is not None:
        out["formatted"] = {"title": commit.formatted_title, "message": commit.formatted_message}
    return out


def merge_expanded(payload: dict[str, Any], expanded: Mapping[str, Any]) -> dict[str, Any]:
    """Add keys only an ``expand`` answer carries (e.g. ``inferenceProviderMapping``) to a full payload."""
    for key, value in expanded.items():
        if key not in payload and value is not None:
            payload[key] = value
    return payload
