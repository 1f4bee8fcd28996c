"""How a dashboard request reaches the server it is mounted in.

The server mounts the dashboard with ``Mount("", app)``.  Starlette hands a
mounted Starlette app the same ``scope`` and each app overwrites
``scope["app"]`` with itself, so the server's state is captured by
:class:`ServerStateBridge` *before* the dashboard's own app runs, and read
back with :func:`server_state`.  Imports go one way only: the dashboard
imports ``covalent.server``, never the reverse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from covalent.server.state import ServerState

__all__ = ["SCOPE_KEY", "ServerStateBridge", "base_path", "read_db", "server_state"]

#: Where the bridge leaves the server's :class:`ServerState` in the ASGI scope.
SCOPE_KEY = "covalent.server_state"

T = TypeVar("T")


class ServerStateBridge:
    """ASGI wrapper: remember the parent app's ``state.covalent``, then run ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and SCOPE_KEY not in scope:
            parent = scope.get("app")
            state = getattr(getattr(parent, "state", None), "covalent", None)
            if state is not None:
                scope[SCOPE_KEY] = state
        await self.app(scope, receive, send)


def server_state(request: Request) -> ServerState:
    """The :class:`~covalent.server.state.ServerState` of the server serving ``request``."""
    state = request.scope.get(SCOPE_KEY)
    if state is None:
        raise HTTPException(503, "the dashboard is not mounted in a running covalent server")
    return state


async def read_db(request: Request, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` on a database connection in a worker thread (readers never block the writer)."""
    engine = server_state(request).engine

    def run() -> T:
        with engine.connect() as conn:
            return fn(conn)

    return await asyncio.to_thread(run)


def base_path(request: Request) -> str:
    """The URL prefix the dashboard is served under (empty at the server's root)."""
    root: Any = request.scope.get("root_path", "")
    return str(root).rstrip("/")
