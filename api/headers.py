"""Security headers on every response: ``X-Content-Type-Options: nosniff``.

:class:`SecurityHeaders` is a pure ASGI middleware that adds the headers of :data:`HEADERS` to
each ``http.response.start`` unless the response already set them. :func:`install_security_headers`
puts it *outside* Starlette's whole middleware stack (around its ``ServerErrorMiddleware``), so
404s, 413s, 503s from admission control and even the plain 500 of an unhandled error carry it.
Page-specific policies (the dashboard's and GraphiQL's Content-Security-Policy) are set by the
routes that serve those pages.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEADERS", "SecurityHeaders", "install_security_headers"]

HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"x-content-type-options", b"nosniff"),)


class SecurityHeaders:
    """Adds :data:`HEADERS` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in HEADERS if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: Starlette) -> None:
    """Wrap the app's middleware stack, once it is built, in :class:`SecurityHeaders`."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
