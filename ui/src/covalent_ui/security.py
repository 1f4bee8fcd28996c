"""The dashboard's response headers and token cookie.

Cross-site requests (CSRF) and foreign host names (DNS rebinding) are refused
for every route, the dashboard's included, by the server's
:class:`covalent.server.guard.RequestGuard`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["COOKIE_NAME", "SecurityHeaders"]

#: The cookie the server's token middleware accepts.
COOKIE_NAME = "covalent_token"

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


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
