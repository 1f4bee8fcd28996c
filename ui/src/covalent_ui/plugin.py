"""Entry point of the ``covalent`` plugin group: mounts the dashboard at the server's root.

Kept cheap to import, and the dashboard itself (Jinja2, the graph layout) is
built on its first request, so it adds nothing to the server's start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from covalent.plugins import hookimpl

__all__ = ["LazyDashboard", "register_routes"]


class LazyDashboard:
    """An ASGI app that builds the real dashboard when the first request arrives."""

    def __init__(self) -> None:
        self._app: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        with self._lock:
            if self._app is None:
                from covalent_ui.app import create_dashboard

                self._app = create_dashboard()
        return self._app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self._app or self._build()
        await app(scope, receive, send)


@hookimpl
def register_routes(register: Callable[[str, Any], None]) -> None:
    """Mount the dashboard at ``/`` (the server mounts it after ``/api/v1``)."""
    register("/", LazyDashboard())
