"""Routes that serve the built dashboard: ``/`` (index.html) and ``/static/{name}``; and its CSV export
(``/api/scopes/conflicts.csv``, :mod:`api.dashboard.conflicts_csv`).

Assets are read once into memory (with a gzip copy) and served with their content type, an
ETag, and a cache policy: ``index.html`` is always revalidated; an asset requested with the
version that index.html puts in its URL (``?v=<hash>``) is immutable for a year; any other
asset request is revalidated with its ETag.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from api.dashboard.conflicts_csv import csv_router

__all__ = ["IMMUTABLE", "REVALIDATE", "STATIC_DIR", "Asset", "Bundle", "build_router", "respond_asset", "router"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
COMPRESSIBLE = {".html", ".js", ".css", ".txt", ".json", ".map", ".svg"}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The page loads only its own script, style and API; cytoscape sets inline style attributes.
PAGE_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of the bundle, held in memory."""

    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _load(path: Path) -> Asset:
    body = path.read_bytes()
    suffix = path.suffix.lower()
    compressible = suffix in COMPRESSIBLE and len(body) > 1024
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0) if compressible else None,
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
        version=hashlib.sha256(body).hexdigest()[:12],
    )


class Bundle:
    """The files directly inside a static folder, loaded on first use (a missing file stays missing)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._assets: dict[str, Asset] | None = None

    def get(self, name: str) -> Asset | None:
        if self._assets is None:
            files = sorted(self._directory.iterdir()) if self._directory.is_dir() else []
            self._assets = {f.name: _load(f) for f in files if f.is_file()}
        return self._assets.get(name)


def respond_asset(request: Request, asset: Asset, cache_control: str, extra: dict[str, str] | None = None) -> Response:
    """The asset with its ETag (304 when the client has it), gzip when accepted, no body for HEAD."""
    headers = {
        "Cache-Control": cache_control,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
        **(extra or {}),
    }
    if asset.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=asset.content_type)
    return Response(content=body, headers=headers, media_type=asset.content_type)


def build_router(directory: Path = STATIC_DIR) -> APIRouter:
    """A router serving the dashboard bundle found in ``directory``."""
    bundle = Bundle(directory)
    dashboard = APIRouter(tags=["dashboard"])

    @dashboard.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index(request: Request) -> Response:
        """The dashboard page."""
        asset = bundle.get("index.html")
        if asset is None:
            raise HTTPException(503, "The dashboard bundle is missing: run scripts/build-dashboard.")
        return respond_asset(request, asset, REVALIDATE, {"Content-Security-Policy": PAGE_SECURITY_POLICY})

    @dashboard.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    async def static(name: str, request: Request) -> Response:
        """A file of the bundle; ``?v=`` with its current version makes it cacheable for a year."""
        asset = bundle.get(name) if name != "index.html" else None
        if asset is None:
            raise HTTPException(404, f"No dashboard asset named {name!r}.")
        immutable = request.query_params.get("v") == asset.version
        return respond_asset(request, asset, IMMUTABLE if immutable else REVALIDATE)

    dashboard.include_router(csv_router)  # the dashboard's "Export CSV" (GET /api/scopes/conflicts.csv)
    return dashboard


router = build_router()
