"""Deployments (Spaces, inference providers) as DeploymentSeen, from Hub metadata. Pure functions.

Ids are stable across sources so the same deployment seen twice merges:
``space:<owner>/<name>`` and ``provider:<provider>:<model id>``. A status of None means
"not observed" (e.g. a Space id listed in model metadata, without its runtime), never "stopped".
"""

from __future__ import annotations

from huggingface_hub import ModelInfo, SpaceInfo

from crawler.observations import DeploymentKind, DeploymentSeen, Source

__all__ = ["HUB_SPACES_PER_MODEL", "deployments_in_metadata", "provider_deployments", "space_deployment"]

HUB_SPACES_PER_MODEL = 100
"""The most Spaces the Hub names in a model's metadata (``model_info(...).spaces`` is cut at 100):
a model listed with this many may be used by more Spaces (the recorded snapshots inherit the cap)."""


def space_deployment(
    space_id: str, model_id: str, source: Source, *, endpoint: str, space: SpaceInfo | None = None
) -> DeploymentSeen:
    """A Space using ``model_id``; operator and runtime stage from ``space`` when it was listed."""
    operator = space_id.split("/", 1)[0]
    status: str | None = None
    if space is not None:
        if isinstance(space.author, str):
            operator = space.author
        runtime = getattr(space, "runtime", None)
        if runtime is not None and runtime.stage:
            status = str(runtime.stage)
    return DeploymentSeen(
        f"space:{space_id}", DeploymentKind.SPACE, model_id, operator, status, f"{endpoint}/spaces/{space_id}", source
    )


def provider_deployments(info: ModelInfo, model_id: str, source: Source) -> list[DeploymentSeen]:
    """One DeploymentSeen per ``inferenceProviderMapping`` entry (status live / staging / error)."""
    return [
        DeploymentSeen(
            f"provider:{mapping.provider}:{model_id}",
            DeploymentKind.INFERENCE_PROVIDER,
            model_id,
            str(mapping.provider),
            str(mapping.status) if mapping.status else None,
            None,
            source,
        )
        for mapping in info.inference_provider_mapping or ()
    ]


def deployments_in_metadata(
    info: ModelInfo, model_id: str, source: Source, *, endpoint: str, max_spaces: int
) -> list[DeploymentSeen]:
    """Deployments named in model metadata already fetched (``spaces``, ``inferenceProviderMapping``)."""
    spaces = info.spaces if isinstance(info.spaces, list) else []
    found = [
        space_deployment(space_id, model_id, source, endpoint=endpoint)
        for space_id in spaces[:max_spaces]
        if isinstance(space_id, str) and "/" in space_id
    ]
    found.extend(provider_deployments(info, model_id, source))
    return found
