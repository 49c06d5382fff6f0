"""The replay hub: a Starlette app answering a snapshot in the Hugging Face Hub's API shapes.

Hub routes (all counted in ``GET /_replay/stats`` and subject to fault injection):

* ``GET /api/models`` — ``filter`` (repeatable), ``search``, ``author``, ``pipeline_tag``, ``gated``,
  ``inference_provider``, ``sort``/``direction``, ``limit``, ``expand`` (repeatable), ``full``,
  ``cardData``, ``config``; GitHub-style ``Link: <…>; rel="next"`` cursor pagination.
* ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` — ``expand``, ``blobs``, ``securityStatus``
  (``blobs=true``: a recorded file's ``blobId`` is its git blob id, the resolve route's ``ETag``).
* ``GET /api/models/{id}/commits/{rev}`` — paginated like the list (50 a page, or ``max_page_size``);
  the recorded commits, else a one-commit stub (head sha dated ``lastModified``).
* ``GET /api/models/{id}/tree/{rev}[/{path}]`` — file listing from the siblings.
* ``HEAD``/``GET /{id}/resolve/{rev}/{file}`` — ``X-Repo-Commit``, ``ETag``, ``Content-Length``; ``rev`` may
  be any recorded revision (its own card and etag), an unrecorded one answers 404 ``RevisionNotFound``.
* ``GET /api/spaces`` (``models=``, ``search``, ``author``, ``filter``, ``limit``, ``expand``, ``full``)
  and ``GET /api/spaces/{id}``.

Renamed repos answer 307, deleted or unknown ones 404 ``RepoNotFound``; files of gated repos
answer 401/403 ``GatedRepo`` unless the bearer token is one of the granted tokens.

Control routes (not counted, never faulted): ``GET /_replay/stats``, ``POST /_replay/stats/reset``,
``GET``/``POST /_replay/faults``, ``GET /_replay/health``, ``GET /_replay/provenance/{id}``,
``POST /_replay/changes``: ``{"edits": [{"op": "relicense" | "add" | "delete" | "gate", "id": …}, …]}`` pushes
the edits to the served repos (new sha, commit, card, tags, ``lastModified``; all or none), answers
``{"applied": [{"op", "id", "sha", "lastModified"}, …]}``, 422 for a bad body, 409 for a refused edit (see
:mod:`hubreplay.serve.edits`; edits live in memory for the server's life). A scale hub takes a day of
synthetic churn there instead (:mod:`hubreplay.serve.scale_app`).

Faults: 429 (with ``Retry-After``), 500/502/503, slow answers, unparsable bodies (a successful JSON
answer cut in half), malformed cards, and model listings truncated after K models (no next link).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import structlog
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubreplay.serve import responses
from hubreplay.serve.edits import EditsRequest, SnapshotEditor
from hubreplay.serve.errors import EditRefusedError
from hubreplay.serve.faults import FaultInjector
from hubreplay.serve.hubpaths import HubPath, parse_hub_path
from hubreplay.serve.listing import list_models, list_spaces, paginate
from hubreplay.serve.settings import FaultConfig, ReplaySettings
from hubreplay.serve.stats import RequestStats
from hubreplay.serve.views import (
    MODEL_EXPAND_KEYS,
    SPACE_EXPAND_KEYS,
    BadQueryError,
    break_card_data,
    break_readme,
    check_expand,
    model_info,
    space_item,
)
from hubreplay.snapshot.hubshape import git_blob_id
from hubreplay.snapshot.store import ModelEntry, Snapshot

__all__ = ["ReplayHub", "create_app"]

log = structlog.get_logger(__name__)

_UNKNOWN_SHA = "0" * 40
_TRUE = frozenset({"true", "1", "True"})


class ReplayHub:
    """State of one replay hub: the snapshot, fault injector, request counters and granted tokens."""

    def __init__(self, snapshot: Snapshot, settings: ReplaySettings | None = None) -> None:
        self.snapshot = snapshot
        self.editor = SnapshotEditor(snapshot)
        self._setup(settings)

    def origin(self) -> tuple[str, tuple[str, ...]] | None:
        """The public hub the snapshot was recorded from and the id prefixes that do not exist there."""
        manifest = self.snapshot.manifest
        return None if manifest.origin is None else (manifest.origin, manifest.origin_excludes)

    def _setup(self, settings: ReplaySettings | None) -> None:
        self.settings = settings or ReplaySettings()
        self.faults = FaultInjector(self.settings.faults)
        self.stats = RequestStats()
        self._granted = {token.get_secret_value() for token in self.settings.gated_tokens}
        self._request_seq = 0

    # -- entry point ---------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        target = parse_hub_path(raw_path)
        query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
        decision = self.faults.decide(target.route, request.method, raw_path, query)
        if decision.delay_ms:
            await asyncio.sleep(decision.delay_ms / 1000)
        if decision.status is not None:
            response = responses.injected_error(decision.status, decision.retry_after_s)
        else:
            started = time.perf_counter()
            response = self._dispatch(request, target)
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            if decision.unparsable and response.status_code == 200:
                response = responses.unparsable(response)
        self._request_seq += 1
        response.headers["X-Request-Id"] = f"replay-{self._request_seq}"
        self.stats.record(target.route, response.status_code)
        return response

    def _dispatch(self, request: Request, target: HubPath) -> Response:
        try:
            if target.route == "models.list":
                return list_models(
                    self.snapshot,
                    request,
                    max_page=self.settings.max_page_size,
                    truncate_after=self.faults.config.listing_truncate_after,
                )
            if target.route == "spaces.list":
                return list_spaces(self.snapshot, request, max_page=self.settings.max_page_size)
            if target.route == "spaces.info":
                return self._space_info(request, target)
            if target.repo_id is None or target.route == "other":
                return responses.json_response(
                    {"error": "Sorry, we can't find the page you are looking for."}, status=404
                )
            entry, redirect = self._lookup(request, target)
            if entry is None:
                return redirect or responses.repo_not_found()
            if target.route in ("models.info", "models.revision"):
                return self._model_info(request, target, entry)
            if target.route == "models.commits":
                return self._commits(request, target, entry)
            if target.route == "models.tree":
                return self._tree(target, entry)
            return self._resolve(request, target, entry)
        except BadQueryError as exc:
            return responses.bad_request(str(exc))

    def _lookup(self, request: Request, target: HubPath) -> tuple[ModelEntry | None, Response | None]:
        assert target.repo_id is not None
        if self.snapshot.is_deleted(target.repo_id):
            return None, None
        entry = self.snapshot.model(target.repo_id)
        if entry is not None:
            return entry, None
        new_id = self.snapshot.alias_target(target.repo_id)
        if new_id is None:
            return None, None
        location = target.with_repo(new_id)
        if request.url.query:
            location = f"{location}?{request.url.query}"
        return None, responses.redirect(location)

    # -- models --------------------------------------------------------------------------------

    def _revision_payload(self, entry: ModelEntry, revision: str | None) -> dict[str, Any] | None:
        if revision in (None, "main") or (entry.sha is not None and revision == entry.sha):
            return entry.info()
        return self.snapshot.revision_info(entry.id, revision)

    def _model_info(self, request: Request, target: HubPath, entry: ModelEntry) -> Response:
        params = request.query_params
        expand = check_expand(params.getlist("expand") + params.getlist("expand[]"), MODEL_EXPAND_KEYS)
        revision = target.revision if target.route == "models.revision" else None
        info = self._revision_payload(entry, revision)
        if info is None:
            return responses.revision_not_found(str(revision))
        mode = self.faults.malformed(entry.id)
        if mode is not None:
            info = break_card_data(info, mode)
        elif params.get("blobs") in _TRUE:
            info = self._with_blob_ids(entry, info, revision)
        body = model_info(
            info,
            expand=expand,
            blobs=params.get("blobs") in _TRUE,
            security=params.get("securityStatus") in _TRUE,
            children=self.snapshot.children_counts,
            id_of=self._object_id,
        )
        return responses.json_response(body)

    def _with_blob_ids(self, entry: ModelEntry, info: dict[str, Any], revision: str | None) -> dict[str, Any]:
        """Siblings whose content the snapshot holds get the ``blobId`` the Hub gives with ``blobs=true``
        (the git blob id, the same as the resolve route's ``ETag``) when the recorded payload lacks it."""
        siblings = info.get("siblings")
        if not isinstance(siblings, list):
            return info
        on_main = revision in (None, "main") or revision == entry.sha
        filled: list[Any] = []
        for sibling in siblings:
            if isinstance(sibling, dict) and "blobId" not in sibling and "lfs" not in sibling:
                stored = self.snapshot.file(entry.id, str(sibling.get("rfilename", "")), None if on_main else revision)
                if stored is not None:
                    sibling = {**sibling, "blobId": stored.blob_id}
            filled.append(sibling)
        return {**info, "siblings": filled}

    def _object_id(self, repo_id: str) -> str | None:
        entry = self.snapshot.model(repo_id)
        if entry is None:
            return None
        oid = entry.info().get("_id")
        return oid if isinstance(oid, str) else None

    def _commits(self, request: Request, target: HubPath, entry: ModelEntry) -> Response:
        commits = self.snapshot.commits.get(entry.id)
        stub = False
        if commits is None:
            head = entry.head_commit()
            commits = [head] if head is not None else []
            stub = head is not None
        revision = target.revision or "main"
        if revision != "main" and not (entry.sha is not None and revision == entry.sha):
            ids = [c.get("id") for c in commits]
            if revision not in ids:
                return responses.revision_not_found(revision)
            commits = commits[ids.index(revision) :]
        formatted = "formatted" in request.query_params.getlist("expand[]") + request.query_params.getlist("expand")
        items = commits if formatted else [{k: v for k, v in c.items() if k != "formatted"} for c in commits]
        max_page = self.settings.max_page_size
        response = paginate(request, items, max_page=max_page, default_page=min(50, max_page))
        if stub:
            response.headers["X-Replay-Note"] = "commit-stub: only the head sha and date were recorded"
        return response

    def _tree(self, target: HubPath, entry: ModelEntry) -> Response:
        info = self._revision_payload(entry, target.revision)
        if info is None:
            return responses.revision_not_found(str(target.revision))
        prefix = f"{target.file_path}/" if target.file_path else ""
        items: list[dict[str, Any]] = []
        folders: set[str] = set()
        for sibling in info.get("siblings") or ():
            name = sibling.get("rfilename", "")
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if "/" in rest:
                folder = prefix + rest.split("/", 1)[0]
                if folder not in folders:
                    folders.add(folder)
                    items.append({"type": "directory", "oid": _UNKNOWN_SHA, "size": 0, "path": folder})
                continue
            item: dict[str, Any] = {"type": "file", "oid": sibling.get("blobId") or _UNKNOWN_SHA, "path": name}
            item["size"] = sibling.get("size", 0)
            lfs = sibling.get("lfs")
            if isinstance(lfs, dict):
                item["lfs"] = {"oid": lfs.get("sha256"), "size": lfs.get("size"), "pointerSize": lfs.get("pointerSize")}
            items.append(item)
        return responses.json_response(items)

    # -- files ---------------------------------------------------------------------------------

    def _resolve(self, request: Request, target: HubPath, entry: ModelEntry) -> Response:
        assert target.file_path is not None and target.revision is not None
        revision = target.revision
        info = self._revision_payload(entry, revision)
        if info is None:
            return responses.revision_not_found(revision)
        if entry.gated not in (None, False) and not self._granted_access(request):
            return responses.gated(entry.id, authenticated="authorization" in request.headers)
        on_main = revision == "main" or revision == entry.sha
        stored = self.snapshot.file(entry.id, target.file_path, None if on_main else revision)
        commit = (entry.sha if on_main else revision) or (stored.commit if stored else None)
        headers = {"X-Repo-Commit": commit or _UNKNOWN_SHA}
        if commit is None:
            headers["X-Replay-Note"] = "sha-not-recorded"
        mode = self.faults.malformed(entry.id) if target.file_path == "README.md" else None
        if mode is not None:
            card = info.get("cardData")
            content = break_readme(stored.content if stored else None, card if isinstance(card, dict) else None, mode)
            headers["ETag"] = f'"{git_blob_id(content)}"'
            return Response(content, headers=headers, media_type="text/plain; charset=utf-8")
        if stored is not None:
            headers["ETag"] = f'"{stored.blob_id}"'
            return Response(stored.content, headers=headers, media_type=_media_type(target.file_path))
        sibling = _sibling(info, target.file_path)
        lfs = sibling.get("lfs") if sibling else None
        if isinstance(lfs, dict) and request.method == "HEAD":
            size = str(lfs.get("size") or (sibling or {}).get("size") or 0)
            headers.update(
                {
                    "ETag": f'"{lfs.get("sha256")}"',
                    "X-Linked-Etag": f'"{lfs.get("sha256")}"',
                    "X-Linked-Size": size,
                    "Content-Length": size,
                    "X-Replay-Note": "lfs-content-not-recorded",
                }
            )
            return Response(b"", headers=headers)
        return responses.entry_not_found("content-not-recorded" if sibling else None)

    def _granted_access(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return scheme.lower() == "bearer" and token in self._granted

    # -- spaces --------------------------------------------------------------------------------

    def _space_info(self, request: Request, target: HubPath) -> Response:
        assert target.repo_id is not None
        info = self.snapshot.space(target.repo_id)
        if info is None:
            return responses.repo_not_found()
        expand = check_expand(request.query_params.getlist("expand"), SPACE_EXPAND_KEYS)
        return responses.json_response(space_item(info, expand=expand, full=not expand))

    # -- control -------------------------------------------------------------------------------

    async def stats_endpoint(self, request: Request) -> Response:
        return responses.json_response(self.stats.snapshot())

    async def stats_reset(self, request: Request) -> Response:
        self.stats.reset()
        return responses.json_response(self.stats.snapshot())

    async def faults_endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                config = FaultConfig.model_validate_json(await request.body())
            except ValidationError as exc:
                return responses.bad_request(exc.json(include_url=False))
            self.faults.configure(config)
            log.info("replay_faults_configured", **config.model_dump(exclude={"routes"}))
        return responses.json_response(self.faults.config.model_dump(mode="json"))

    async def health(self, request: Request) -> Response:
        manifest = self.snapshot.manifest
        return responses.json_response({"status": "ok", "snapshot": manifest.name, "models": len(self.snapshot)})

    async def changes(self, request: Request) -> Response:
        """Edit the served snapshot in memory (:mod:`hubreplay.serve.edits`): every edit of the body, or none."""
        body = await request.body()
        try:
            wanted = EditsRequest.model_validate_json(body)
        except ValidationError as exc:
            if _asks_for_churn(body):
                message = 'a day of changes ({"models", "seed"}) needs a scale hub (--scale synthetic); '
                return responses.json_response({"error": message + 'a snapshot hub takes {"edits": [...]}'}, status=409)
            return responses.invalid_body(exc)
        try:
            applied = self.editor.apply(wanted)
        except EditRefusedError as exc:
            return responses.json_response({"error": str(exc), "edit": exc.index}, status=409)
        log.info("replay_edits_applied", edits=len(applied), ops=sorted({a.op for a in applied}))
        return responses.json_response({"applied": [a.to_json() for a in applied]})

    async def provenance(self, request: Request) -> Response:
        repo_id = request.path_params["repo_id"]
        found = self.snapshot.provenance(repo_id)
        if found is None:
            return responses.repo_not_found()
        return responses.json_response(found)


def _asks_for_churn(body: bytes) -> bool:
    """Whether a ``/_replay/changes`` body is the scale hub's day of churn (``{"models", "seed"}``)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "edits" not in parsed and bool({"models", "seed"} & parsed.keys())


def _sibling(info: dict[str, Any], file_path: str) -> dict[str, Any] | None:
    for sibling in info.get("siblings") or ():
        if isinstance(sibling, dict) and sibling.get("rfilename") == file_path:
            return sibling
    return None


def _media_type(file_path: str) -> str:
    if file_path.endswith(".json"):
        return "application/json"
    if file_path.endswith((".md", ".txt", ".yml", ".yaml")):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def create_app(hub: ReplayHub) -> Starlette:
    """The ASGI app of a :class:`ReplayHub`."""
    return Starlette(
        routes=[
            Route("/_replay/stats", hub.stats_endpoint, methods=["GET"]),
            Route("/_replay/stats/reset", hub.stats_reset, methods=["POST"]),
            Route("/_replay/faults", hub.faults_endpoint, methods=["GET", "POST"]),
            Route("/_replay/health", hub.health, methods=["GET"]),
            Route("/_replay/provenance/{repo_id:path}", hub.provenance, methods=["GET"]),
            Route("/_replay/changes", hub.changes, methods=["POST"]),
            Route("/{rest:path}", hub.handle, methods=["GET", "HEAD"]),
        ]
    )
