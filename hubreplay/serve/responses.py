"""Hub-shaped answers: JSON bodies, error headers (``X-Error-Code``) and redirects.

huggingface_hub maps ``X-Error-Code`` to its exceptions: ``RepoNotFound`` →
RepositoryNotFoundError, ``GatedRepo`` → GatedRepoError, ``RevisionNotFound`` →
RevisionNotFoundError, ``EntryNotFound`` → RemoteEntryNotFoundError; a 400 → BadRequestError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.responses import Response

__all__ = [
    "bad_request",
    "entry_not_found",
    "gated",
    "injected_error",
    "invalid_body",
    "json_page_response",
    "json_response",
    "redirect",
    "repo_not_found",
    "revision_not_found",
    "unparsable",
]

_JSON = "application/json; charset=utf-8"


def json_response(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(payload, status_code=status, headers=dict(headers or {}), media_type=_JSON)


def json_page_response(body: list[dict[str, Any]], *, headers: Mapping[str, str] | None = None) -> Response:
    """A large list page (the scale hub's 1,000 models) encoded with orjson: same bytes shape, ~8x faster."""
    return Response(orjson.dumps(body), status_code=200, headers=dict(headers or {}), media_type=_JSON)


def _error(status: int, message: str, code: str | None = None, extra: Mapping[str, str] | None = None) -> Response:
    headers = {"X-Error-Message": message, **(extra or {})}
    if code:
        headers["X-Error-Code"] = code
    return json_response({"error": message}, status=status, headers=headers)


def repo_not_found() -> Response:
    return _error(404, "Repository not found", "RepoNotFound")


def revision_not_found(revision: str) -> Response:
    return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def entry_not_found(note: str | None = None) -> Response:
    return _error(404, "Entry not found", "EntryNotFound", {"X-Replay-Note": note} if note else None)


def gated(repo_id: str, *, authenticated: bool) -> Response:
    """401 without credentials, 403 with a token that was not granted access (as the Hub answers)."""
    if authenticated:
        message = (
            f"Access to model {repo_id} is restricted and you are not in the authorized list. "
            f"Visit https://huggingface.co/{repo_id} to ask for access."
        )
        return _error(403, message, "GatedRepo")
    message = (
        f"Access to model {repo_id} is restricted. You must have access to it and be authenticated to access it. "
        "Please log in."
    )
    return _error(401, message, "GatedRepo")


def bad_request(message: str) -> Response:
    return _error(400, message)


def invalid_body(exc: ValidationError) -> Response:
    """A control route's body that is not JSON (400) or not the expected shape (422), naming each problem."""
    errors = json.loads(exc.json(include_url=False, include_context=False, include_input=False))
    status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())) or 'body'}: {e.get('msg')}" for e in errors)
    return json_response({"error": f"invalid body: {problems}", "errors": errors}, status=status)


def redirect(location: str) -> Response:
    """The Hub's answer for a renamed repo: 307 with a plain-text body naming the new path."""
    path = location.split("?", 1)[0]
    return Response(
        f"Temporary Redirect. Redirecting to {path}",
        status_code=307,
        headers={"Location": location},
        media_type="text/plain; charset=utf-8",
    )


_REASONS = {429: "Too Many Requests", 500: "Internal Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def injected_error(status: int, retry_after_s: int | None) -> Response:
    extra = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    return _error(status, _REASONS.get(status, "Error"), None, extra)


def unparsable(response: Response) -> Response:
    """The same answer with its body cut in half: the client's JSON parser fails on it."""
    body = bytes(response.body)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(body[: len(body) // 2], status_code=response.status_code, headers=headers)
