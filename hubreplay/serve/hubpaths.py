"""Parse Hub URL paths, where a repo id may hold one slash (``org/name``) or none (legacy ``gpt2``).

Paths are split on the raw (still percent-encoded) path, so a revision sent as
``refs%2Fpr%2F1`` stays one segment, as huggingface_hub encodes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

__all__ = ["HubPath", "parse_hub_path"]

_MODEL_ACTIONS: Final = frozenset({"revision", "commits", "tree"})


@dataclass(frozen=True, slots=True)
class HubPath:
    """What a Hub request path asks for. ``prefix``/``suffix`` are the raw path around the repo id."""

    route: str
    repo_id: str | None = None
    revision: str | None = None
    file_path: str | None = None
    prefix: str = ""
    suffix: str = ""

    def with_repo(self, repo_id: str) -> str:
        """The same raw path for another repo id (for a 307 to a renamed repo)."""
        return f"{self.prefix}{repo_id}{self.suffix}"


def _repo_split(parts: list[str], actions: frozenset[str]) -> int:
    """How many leading segments form the repo id (1 or 2) given the segments after the prefix."""
    if len(parts) >= 3 and parts[2] in actions:
        return 2
    if len(parts) >= 2 and parts[1] in actions:
        return 1
    return 2 if len(parts) >= 2 else 1


def parse_hub_path(raw_path: str) -> HubPath:
    """Classify a request path into one of the replay routes (``other`` when it is none of them)."""
    raw = raw_path.split("?", 1)[0]
    segments = raw.split("/")[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    decoded = [unquote(s) for s in segments]
    if decoded[:2] == ["api", "models"]:
        return _parse_models(segments, decoded)
    if decoded[:2] == ["api", "spaces"]:
        rest = decoded[2:]
        if not rest:
            return HubPath("spaces.list")
        if len(rest) <= 2:
            repo = "/".join(rest)
            return HubPath("spaces.info", repo_id=repo, prefix="/api/spaces/", suffix="")
        return HubPath("other")
    return _parse_resolve(segments, decoded)


def _parse_models(segments: list[str], decoded: list[str]) -> HubPath:
    rest, raw_rest = decoded[2:], segments[2:]
    if not rest:
        return HubPath("models.list")
    width = _repo_split(rest, _MODEL_ACTIONS)
    if width > len(rest):
        return HubPath("other")
    repo = "/".join(rest[:width])
    tail, raw_tail = rest[width:], raw_rest[width:]
    suffix = "".join(f"/{s}" for s in raw_tail)
    common = {"repo_id": repo, "prefix": "/api/models/", "suffix": suffix}
    if not tail:
        return HubPath("models.info", **common)
    action, args = tail[0], tail[1:]
    if action == "revision" and len(args) >= 1:
        return HubPath("models.revision", revision="/".join(args), **common)
    if action == "commits":
        return HubPath("models.commits", revision="/".join(args) or "main", **common)
    if action == "tree" and len(args) >= 1:
        return HubPath("models.tree", revision=args[0], file_path="/".join(args[1:]), **common)
    return HubPath("other")


def _parse_resolve(segments: list[str], decoded: list[str]) -> HubPath:
    width = _repo_split(decoded, frozenset({"resolve"}))
    if len(decoded) < width + 3 or decoded[width] != "resolve":
        return HubPath("other")
    repo = "/".join(decoded[:width])
    revision = decoded[width + 1]
    file_path = "/".join(decoded[width + 2 :])
    suffix = "".join(f"/{s}" for s in segments[width:])
    return HubPath("resolve", repo_id=repo, revision=revision, file_path=file_path, prefix="/", suffix=suffix)
