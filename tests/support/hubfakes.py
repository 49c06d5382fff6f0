"""Helpers for crawler unit tests: recorded Hub bodies, and an in-memory stand-in for HfApi.

``FakeHubApi`` answers ``model_info`` / ``list_models`` / ``list_spaces`` / ``hf_hub_download``
from dicts shaped like the Hub's JSON, building the same ``ModelInfo`` / ``SpaceInfo``
objects huggingface_hub builds, and raises the same huggingface_hub exceptions (carrying
real ``httpx2.Response`` objects) for 404, gated, 429, 5xx and timeouts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import ModelInfo, SpaceInfo
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.file_download import DryRunFileInfo

FIXTURES = Path(__file__).resolve().parents[1] / "crawler" / "fixtures"
FIXED_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def recorded_body(name: str) -> dict[str, Any]:
    """The JSON body of a recorded Hub response in tests/crawler/fixtures/."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    body = data["body"]
    assert isinstance(body, dict)
    return body


def http_error(status: int, url: str, *, headers: dict[str, str] | None = None) -> HfHubHTTPError:
    """The exception huggingface_hub raises for this status (same classes as hf_raise_for_status)."""
    request = httpx2.Request("GET", url)
    response = httpx2.Response(status, headers=headers or {}, request=request)
    code = (headers or {}).get("X-Error-Code")
    message = f"{status} Client Error for url {url}"
    if code == "GatedRepo":
        return GatedRepoError(message, response=response)
    if code == "RepoNotFound" or status == 404:
        return RepositoryNotFoundError(message, response=response)
    return HfHubHTTPError(message, response=response)


@dataclass
class FakeHubApi:
    """A stand-in for ``HfApi`` over in-memory payloads; records every call."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    spaces: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, list[BaseException]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    tmp: Path | None = None

    def add(self, payload: dict[str, Any]) -> None:
        self.models[payload["id"]] = payload

    def _fail(self, key: str) -> None:
        queue = self.errors.get(key)
        if queue:
            raise queue.pop(0)

    def model_info(self, repo_id: str, **kwargs: Any) -> ModelInfo:
        self.calls.append(("model_info", repo_id))
        self.counts["model_info"] += 1
        self._fail(f"model_info:{repo_id}")
        current = self.aliases.get(repo_id, repo_id)
        if current not in self.models:
            raise http_error(404, f"https://hub.test/api/models/{repo_id}", headers={"X-Error-Code": "RepoNotFound"})
        payload = dict(self.models[current])
        expand = kwargs.get("expand")
        if expand:
            payload = {k: v for k, v in payload.items() if k in (*expand, "_id", "id")}
        return ModelInfo(**payload)

    def list_models(self, **kwargs: Any) -> Iterator[ModelInfo]:
        filter_ = kwargs.get("filter")
        search = kwargs.get("search")
        self.calls.append(("list_models", str(filter_ or search)))
        self.counts["list_models"] += 1
        self._fail(f"list_models:{filter_ or search}")
        limit = kwargs.get("limit")
        produced = 0
        for payload in self.models.values():
            if filter_ is not None and filter_ not in payload.get("tags", []):
                continue
            if search is not None and search.lower() not in payload["id"].lower():
                continue
            if limit is not None and produced >= limit:
                return
            produced += 1
            item = dict(payload)
            item.setdefault("siblings", None)
            yield ModelInfo(**item)

    def list_spaces(self, **kwargs: Any) -> Iterator[SpaceInfo]:
        self.calls.append(("list_spaces", str(kwargs.get("models"))))
        self.counts["list_spaces"] += 1
        self._fail(f"list_spaces:{kwargs.get('models')}")
        for payload in self.spaces:
            if kwargs.get("models") in payload.get("models", []):
                yield SpaceInfo(**payload)

    def hf_hub_download(self, repo_id: str, filename: str, **kwargs: Any) -> str | DryRunFileInfo:
        self.calls.append(("hf_hub_download", f"{repo_id}/{filename}"))
        self.counts["hf_hub_download"] += 1
        self._fail(f"download:{repo_id}/{filename}")
        data = self.files.get((repo_id, filename))
        if data is None:
            raise http_error(404, f"https://hub.test/{repo_id}/resolve/main/{filename}", headers={"X-Error-Code": "EntryNotFound"})
        if kwargs.get("dry_run"):
            return DryRunFileInfo(
                commit_hash="0" * 40, file_size=len(data), filename=filename, local_path="", is_cached=False,
                will_download=True,
            )
        assert self.tmp is not None, "set FakeHubApi.tmp to a temporary folder to download files"
        path = self.tmp / repo_id.replace("/", "--") / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path)


def model_payload(
    model_id: str,
    *,
    base_model: object = None,
    relation: str | None = None,
    tags: list[str] | None = None,
    license: str | None = "apache-2.0",
    siblings: list[str] | None = None,
    gated: object = False,
    extra_card: dict[str, Any] | None = None,
    sha: str = "a" * 40,
    **extra: Any,
) -> dict[str, Any]:
    """A model_info payload in the Hub's shape; tags computed from the card like the Hub does unless given."""
    card: dict[str, Any] = {}
    if license is not None:
        card["license"] = license
    if base_model is not None:
        card["base_model"] = base_model
    if relation is not None:
        card["base_model_relation"] = relation
    card.update(extra_card or {})
    if tags is None:
        tags = []
        bases = [base_model] if isinstance(base_model, str) else base_model if isinstance(base_model, list) else []
        rel = relation or ("merge" if len(bases) > 1 else "finetune")
        for base in bases:
            if isinstance(base, str):
                tags += [f"base_model:{base}", f"base_model:{rel}:{base}"]
        if license is not None:
            tags.append(f"license:{license}")
    payload: dict[str, Any] = {
        "_id": "x" + model_id,
        "id": model_id,
        "author": model_id.split("/")[0],
        "sha": sha,
        "lastModified": "2024-05-01T00:00:00.000Z",
        "createdAt": "2024-04-01T00:00:00.000Z",
        "private": False,
        "gated": gated,
        "downloads": 10,
        "likes": 1,
        "tags": tags,
        "cardData": card or None,
        "siblings": [{"rfilename": name} for name in (siblings or [])],
    }
    payload.update(extra)
    return payload
