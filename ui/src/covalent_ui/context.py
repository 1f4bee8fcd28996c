"""How a dashboard request reaches the server it is mounted in.

The server mounts the dashboard with ``Mount("", app)``.  Starlette hands a
mounted Starlette app the same ``scope`` and each app overwrites
``scope["app"]`` with itself, so the server's state is captured by
:class:`ServerStateBridge` *before* the dashboard's own app runs, and read
back with :func:`server_view` as the server's public read interface,
:class:`covalent.server.view.ServerView`.  Imports go one way only: the
dashboard imports that interface (never the server's tables or internal
modules), and the server never imports the dashboard.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from covalent.server.view import ServerView

__all__ = ["SCOPE_KEY", "ServerStateBridge", "base_path", "server_view"]

#: Where the bridge leaves the view of the server's state in the ASGI scope.
SCOPE_KEY = "covalent.server_state"


class ServerStateBridge:
    """ASGI wrapper: remember the parent app's ``state.covalent``, then run ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and SCOPE_KEY not in scope:
            parent = scope.get("app")
            state = getattr(getattr(parent, "state", None), "covalent", None)
            if state is not None:
                scope[SCOPE_KEY] = ServerView.of(state)
        await self.app(scope, receive, send)


def server_view(request: Request) -> ServerView:
    """The public read interface of the server serving ``request``."""
    view = request.scope.get(SCOPE_KEY)
    if view is None:
        raise HTTPException(503, "the dashboard is not mounted in a running covalent server")
    return view


def base_path(request: Request) -> str:
    """The URL prefix the dashboard is served under (empty at the server's root)."""
    root: Any = request.scope.get("root_path", "")
    return str(root).rstrip("/")
