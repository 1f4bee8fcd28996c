"""Same-origin protection for the dashboard's own POST routes, and its response headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["COOKIE_NAME", "SecurityHeaders", "require_same_origin"]

#: The cookie the server's token middleware accepts.
COOKIE_NAME = "covalent_token"

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def require_same_origin(request: Request) -> None:
    """Refuse a state-changing request sent by a page of another origin (403)."""
    origin = request.headers.get("origin")
    if origin is None:  # not sent by a browser page, or a same-origin GET-style request
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise HTTPException(403, f"cross-origin request from {origin} refused")


class SecurityHeaders:
    """Add a strict Content-Security-Policy (no inline script, nothing from other hosts)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", _CSP.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
