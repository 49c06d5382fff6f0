"""Routes of the bundled GraphiQL: the page at ``/graphiql`` and its files at ``/graphiql/static/``.

Files are read once into memory (with a gzip copy). The page is always revalidated and carries
:data:`PAGE_SECURITY_POLICY`; an asset asked for with the version the page puts in its URL
(``?v=<hash>``) is immutable for a year, any other asset request is revalidated with its ETag.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from api.dashboard.routes import IMMUTABLE, REVALIDATE, Bundle, respond_asset

__all__ = ["PAGE_PATH", "PAGE_SECURITY_POLICY", "STATIC_DIR", "build_router", "router"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_PATH = "/graphiql"
# Only the bundle's own script runs (no inline code, no eval). GraphiQL's CSS inlines its fonts
# and icons as data: URLs; its dialogs inject <style> elements (scroll lock), hence 'unsafe-inline'
# for styles only. Queries go to this origin only; nothing may frame the page.
PAGE_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def build_router(directory: Path = STATIC_DIR) -> APIRouter:
    """A router serving the GraphiQL bundle found in ``directory``."""
    bundle = Bundle(directory)
    graphiql = APIRouter(tags=["graphiql"])

    @graphiql.api_route(PAGE_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def page(request: Request) -> Response:
        """The GraphiQL page."""
        asset = bundle.get("index.html")
        if asset is None:
            raise HTTPException(503, "The GraphiQL bundle is missing: run scripts/build-graphiql.")
        return respond_asset(request, asset, REVALIDATE, {"Content-Security-Policy": PAGE_SECURITY_POLICY})

    @graphiql.api_route(PAGE_PATH + "/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    async def static(name: str, request: Request) -> Response:
        """A file of the bundle; ``?v=`` with its current version makes it cacheable for a year."""
        asset = bundle.get(name) if name != "index.html" else None
        if asset is None:
            raise HTTPException(404, f"No GraphiQL asset named {name!r}.")
        immutable = request.query_params.get("v") == asset.version
        return respond_asset(request, asset, IMMUTABLE if immutable else REVALIDATE)

    return graphiql


router = build_router()
