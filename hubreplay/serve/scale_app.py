"""The replay app over a scale hub (:mod:`hubreplay.scale`) instead of a snapshot folder.

Same entry point, fault injection and counters as :class:`~hubreplay.serve.app.ReplayHub`; Hub routes:

* ``GET /api/models`` — see :func:`hubreplay.scale.listing.list_models`;
* ``GET /api/models/{id}`` and ``/revision/{rev}`` (``main`` or the current sha) — ``expand``, ``blobs``;
* ``GET /api/models/{id}/commits/{rev}`` — the head commit only;
* ``GET /{id}/resolve/{rev}/README.md`` — the card rendered from ``cardData`` (other files: 404);
* ``GET /api/spaces`` — empty; renamed (``Old-…``) synthetic ids answer 307, unknown or deleted 404.

Control: ``POST /_replay/changes {"models": 10000, "seed": 1}`` applies a day of churn (synthetic
only) and answers what it applied; ``GET /_replay/health`` says what is real and what invented.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from hubreplay.scale.errors import ScaleHubError
from hubreplay.scale.hub import ScaleHub
from hubreplay.serve import responses
from hubreplay.serve.app import ReplayHub
from hubreplay.serve.hubpaths import HubPath
from hubreplay.serve.scale_listing import list_models
from hubreplay.serve.settings import ReplaySettings
from hubreplay.serve.views import MODEL_EXPAND_KEYS, BadQueryError, break_card_data, check_expand, model_info
from hubreplay.snapshot.hubshape import render_card

__all__ = ["ChangesRequest", "ScaleReplayHub"]

_TRUE = frozenset({"true", "1", "True"})


class ChangesRequest(BaseModel):
    """Body of ``POST /_replay/changes``."""

    model_config = ConfigDict(extra="forbid")

    models: int = Field(default=10_000, ge=1, le=1_000_000, description="How many changes to apply.")
    seed: int = Field(default=1, description="Seed of the day: the same hub and seed give the same changes.")


class ScaleReplayHub(ReplayHub):
    """A replay hub answering from a :class:`ScaleHub`."""

    def __init__(self, scale: ScaleHub, settings: ReplaySettings | None = None) -> None:
        self.scale = scale
        self._setup(settings)

    def origin(self) -> tuple[str, tuple[str, ...]] | None:
        """Scale hubs are generated (synthetic) or only partly real (topology): evidence cites the scale hub."""
        return None

    def _dispatch(self, request: Request, target: HubPath) -> Response:
        try:
            if target.route == "models.list":
                return list_models(
                    self.scale.catalog,
                    request,
                    max_page=self.settings.max_page_size,
                    truncate_after=self.faults.config.listing_truncate_after,
                )
            if target.route == "spaces.list":
                return responses.json_response([])
            if target.repo_id is None or target.route in ("other", "spaces.info"):
                return responses.repo_not_found()
            index, renamed = self.scale.find(target.repo_id)
            if index is None:
                if renamed is None:
                    return responses.repo_not_found()
                location = target.with_repo(renamed)
                return responses.redirect(f"{location}?{request.url.query}" if request.url.query else location)
            if target.route in ("models.info", "models.revision"):
                return self._scale_info(request, target, index)
            if target.route == "models.commits":
                return _head_commit(self.scale.info(index))
            if target.route == "resolve" and target.file_path == "README.md":
                return _readme(self._card_faulted(self.scale.info(index)))
            return responses.entry_not_found("content-not-recorded")
        except BadQueryError as exc:
            return responses.bad_request(str(exc))

    def _card_faulted(self, info: dict[str, Any]) -> dict[str, Any]:
        mode = self.faults.malformed(str(info["id"]))
        return break_card_data(info, mode) if mode is not None else info

    def _scale_info(self, request: Request, target: HubPath, index: int) -> Response:
        params = request.query_params
        expand = check_expand(params.getlist("expand") + params.getlist("expand[]"), MODEL_EXPAND_KEYS)
        info = self.scale.info(index)
        revision = target.revision if target.route == "models.revision" else None
        if revision not in (None, "main", info.get("sha")):
            return responses.revision_not_found(str(revision))
        body = model_info(
            self._card_faulted(info) if "cardData" in info else info,
            expand=expand,
            blobs=params.get("blobs") in _TRUE,
            security=params.get("securityStatus") in _TRUE,
            children=self.scale.children_counts,
            id_of=self.scale.object_id,
        )
        return responses.json_response(body)

    async def health(self, request: Request) -> Response:
        return responses.json_response(self.scale.health())

    async def provenance(self, request: Request) -> Response:
        index = self.scale.catalog.live(request.path_params["repo_id"])
        if index is None:
            return responses.repo_not_found()
        return responses.json_response(self.scale.source.describe() | {"id": self.scale.source.model_id(index)})

    async def changes(self, request: Request) -> Response:
        try:
            body = await request.body()
            wanted = ChangesRequest.model_validate_json(body or b"{}")
            return responses.json_response(self.scale.apply_changes(models=wanted.models, seed=wanted.seed))
        except ValidationError as exc:
            return responses.bad_request(exc.json(include_url=False))
        except ScaleHubError as exc:
            return responses.json_response({"error": str(exc)}, status=409)


def _head_commit(info: dict[str, Any]) -> Response:
    """Only the head commit (its sha and date) is known."""
    if "sha" not in info:
        return responses.json_response([])
    head = {"id": info["sha"], "title": "", "message": "", "authors": [], "date": info.get("lastModified")}
    return responses.json_response([head], headers={"X-Replay-Note": "commit-stub: only the head sha"})


def _readme(info: dict[str, Any]) -> Response:
    """The card rendered from ``cardData`` (the scale hub stores no file contents)."""
    card = info.get("cardData")
    if not isinstance(card, dict):
        return responses.entry_not_found("content-not-recorded")
    content = render_card(card, "").encode("utf-8")
    headers = {"X-Repo-Commit": str(info.get("sha"))}
    return Response(content, headers=headers, media_type="text/plain; charset=utf-8")
