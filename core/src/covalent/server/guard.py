"""Who may act through a browser: the Host check (DNS rebinding) and the origin check (CSRF).

The server runs the code it is sent, so a web page that can make the user's
browser send a request to it could run code as the user.  Two checks, on
every route (the API and the dashboard mounted beside it), stop that:

* **Host** (every request): the ``Host`` header must be one of the server's
  own names -- an IP address, ``localhost``, this machine's host name -- or
  listed in ``server.allowed_hosts``.  A page whose own name was re-pointed
  at the server (DNS rebinding) sends its own name and is refused.
* **Origin** (every request but GET, HEAD and OPTIONS): a browser's
  ``Origin`` must be the server's own (the origin the ``Host`` names) or
  listed in ``server.allowed_origins`` (or ``server.cors_origins``); ``null``
  (a ``file://`` page, a sandboxed frame) never is.  Without ``Origin``,
  ``Sec-Fetch-Site`` must say ``same-origin`` when a browser sends it.
  API writes must also carry a non-simple content type (``application/json``)
  or a custom header (``X-Covalent-Client``, ``Authorization``): a browser
  then has to ask first (a CORS preflight), which this server answers only
  for the origins it trusts, so even a browser that sends neither header
  cannot write.  The SDK, the CLI and the dashboard's scripts send
  ``X-Covalent-Client``.

Like Django's ``ALLOWED_HOSTS`` and Jupyter's host check; ``*`` in
``server.allowed_hosts`` turns the Host check off (behind a proxy that does it).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from covalent.config import CLIENT_HEADER

__all__ = ["OriginPolicy", "RequestGuard", "own_host_names"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Content types a page may send without a CORS preflight.
_SIMPLE_TYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
#: Headers that force a preflight; either proves the request is not a plain form or no-cors fetch.
_PREFLIGHTED_HEADERS = (CLIENT_HEADER.lower().encode(), b"authorization")


def own_host_names(bind_host: str) -> set[str]:
    """The names (not addresses: every IP literal is accepted) this server answers to."""
    names = {"localhost"}
    host = bind_host.strip("[]").lower()
    if host and not _is_ip(host):
        names.add(host)
    if host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("127."):
        # Reachable from other machines: by this machine's own names too.
        for name in (socket.gethostname(), socket.getfqdn()):
            if name:
                names.add(name.lower())
    return names


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _host_name(netloc: str) -> str:
    """``example.com:8080`` -> ``example.com``; ``[::1]:80`` -> ``::1``."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


@dataclass
class OriginPolicy:
    """The server's own names plus what the configuration trusts."""

    names: set[str]
    allowed_hosts: list[str] = field(default_factory=list)
    allowed_origins: set[str] = field(default_factory=set)

    @classmethod
    def for_bind(cls, bind_host: str, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]) -> OriginPolicy:
        return cls(
            names=own_host_names(bind_host),
            allowed_hosts=[str(h).lower() for h in allowed_hosts],
            allowed_origins={str(o).rstrip("/").lower() for o in allowed_origins},
        )

    def host_allowed(self, netloc: str) -> bool:
        name = _host_name(netloc)
        if not name:
            return False
        if _is_ip(name) or name in self.names:
            return True
        for allowed in self.allowed_hosts:
            if allowed == "*" or allowed == name:
                return True
            if allowed.startswith(".") and (name == allowed[1:] or name.endswith(allowed)):
                return True
        return False

    def origin_refusal(self, host: str, origin: str | None, fetch_site: str | None) -> str | None:
        """Why a state-changing request from this origin is refused (None: it is not)."""
        if origin is not None:
            origin = origin.strip().rstrip("/").lower()
            if origin in self.allowed_origins:
                return None
            if origin == "null":
                return "requests from pages without an origin (file://, sandboxed frames) are refused"
            if urlsplit(origin).netloc != host.strip().lower():
                return f"cross-origin request from {origin} refused"
            return None
        if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
            return f"{fetch_site} request refused"
        return None


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """ASGI middleware applying :class:`OriginPolicy` to every request (outermost)."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if not self.policy.host_allowed(host):
            await _refuse(
                send,
                403,
                f"this server does not answer to the host name {_host_name(host)!r}; "
                "add it to server.allowed_hosts in covalent.conf if it is yours (e.g. behind a proxy)",
            )
            return
        method = scope.get("method", "GET")
        if scope["type"] == "http" and method not in _SAFE_METHODS:
            detail = self._write_refusal(scope, headers, host)
            if detail is not None:
                await _refuse(send, 403, detail)
                return
        await self.app(scope, receive, send)

    def _write_refusal(self, scope: Scope, headers: dict[bytes, bytes], host: str) -> str | None:
        origin = headers.get(b"origin")
        site = headers.get(b"sec-fetch-site")
        refusal = self.policy.origin_refusal(
            host,
            origin.decode("latin-1") if origin is not None else None,
            site.decode("latin-1") if site is not None else None,
        )
        if refusal is not None:
            return f"{refusal}; add the page's origin to server.allowed_origins in covalent.conf if you trust it"
        if not str(scope.get("path", "")).startswith("/api/"):
            return None
        media = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower().decode("latin-1")
        if media not in _SIMPLE_TYPES or any(name in headers for name in _PREFLIGHTED_HEADERS):
            return None
        return (
            f"API writes need a JSON body or the {CLIENT_HEADER} header "
            "(so that no web page can send them); the covalent SDK and CLI send it"
        )
