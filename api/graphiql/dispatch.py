"""Send a browser opening ``/graphql`` to the GraphiQL page, leave everything else alone."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BrowserDispatch", "wants_ide"]


def wants_ide(scope: Scope) -> bool:
    """A GET or HEAD that accepts HTML and carries no ``query`` parameter (what a browser sends)."""
    if scope.get("method") not in {"GET", "HEAD"}:
        return False
    if "query" in parse_qs(scope.get("query_string", b"").decode("latin-1")):
        return False
    for name, value in scope.get("headers", []):
        if name.lower() == b"accept":
            return b"text/html" in value.lower()
    return False


class BrowserDispatch:
    """Pure ASGI: rewrites ``graphql_path`` to ``page_path`` for requests that :func:`wants_ide`."""

    def __init__(self, app: ASGIApp, *, graphql_path: str, page_path: str) -> None:
        self.app = app
        self.graphql_path = graphql_path
        self.page_path = page_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == self.graphql_path and wants_ide(scope):
            scope = {**scope, "path": self.page_path, "raw_path": self.page_path.encode()}
        await self.app(scope, receive, send)
