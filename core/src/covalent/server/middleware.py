"""ASGI middleware: request size limit and token authentication."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BodyLimit", "TokenAuth"]


async def _json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Answer 413 to bodies over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _json(send, 400, "malformed Content-Length header")
                    return
                if declared > self.max_bytes:
                    await _json(
                        send, 413, f"request body of {declared} bytes exceeds the limit of {self.max_bytes} bytes"
                    )
                    return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, f"request body exceeds the limit of {self.max_bytes} bytes")
            return message

        await self.app(scope, limited, send)


class TokenAuth:
    """Require the server's token on every route but ``/api/v1/health``.

    Accepted as ``Authorization: Bearer <token>``, the ``covalent_token``
    cookie (the dashboard's login sets it) or, on the event stream only, a
    ``token`` query parameter (EventSource cannot send headers; anywhere else
    a token in a URL would only end up in logs and browser histories).
    Compared in constant time.
    """

    OPEN = ("/api/v1/health", "/login")
    #: The one route that takes ``?token=``.
    QUERY_TOKEN_PATHS = ("/api/v1/events",)

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    @staticmethod
    def _is_page(scope: Scope) -> bool:
        headers = dict(scope.get("headers", []))
        return (
            scope.get("method") == "GET"
            and not scope.get("path", "").startswith("/api/")
            and b"text/html" in headers.get(b"accept", b"")
        )

    def _presented(self, scope: Scope) -> bytes:
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"")
        if auth.lower().startswith(b"bearer "):
            return auth[7:].strip()
        for part in headers.get(b"cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == b"covalent_token":
                return value
        if scope.get("path", "") not in self.QUERY_TOKEN_PATHS:
            return b""
        from urllib.parse import parse_qs

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return query.get("token", [""])[0].encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path", "") in self.OPEN:
            await self.app(scope, receive, send)
            return
        if hmac.compare_digest(self._presented(scope), self.token):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and self._is_page(scope):
            # A person in a browser: send them to the dashboard's login page.
            from urllib.parse import quote

            target = f"/login?next={quote(scope.get('path', '/'))}".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", target), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["type"] == "http":
            await _json(
                send,
                401,
                "a valid token is required (COVALENT_TOKEN, or the token file in the config directory)",
                [(b"www-authenticate", b"Bearer")],
            )
