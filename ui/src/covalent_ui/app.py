"""The dashboard application: routes, static files, HTML error pages."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from covalent_ui.context import ServerStateBridge
from covalent_ui.security import SecurityHeaders
from covalent_ui.templating import page
from covalent_ui.views import actions, auth, dispatch, dispatches, node, preview, system, timeline

__all__ = ["STATIC_DIR", "create_dashboard", "dashboard_app"]

STATIC_DIR = Path(__file__).parent / "static"


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    wants_json = "application/json" in request.headers.get("accept", "") or request.method != "GET"
    if wants_json:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return page(
        request,
        "error.html",
        {"status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
    )


def dashboard_app() -> Starlette:
    """The dashboard's own Starlette app (expects to run behind :class:`ServerStateBridge`)."""
    routes = [
        Route("/", dispatches.dispatch_list, methods=["GET"]),
        Route("/rows", dispatches.dispatch_rows, methods=["GET"]),
        Route("/dispatches/{dispatch_id}", dispatch.dispatch_page, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/graph", dispatch.dispatch_graph, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/timeline", timeline.timeline_page, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/summary", dispatch.dispatch_summary, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/statuses", dispatch.dispatch_statuses, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/nodes", node.nodes_page, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/nodes/{node_id}", node.node_page, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/nodes/{node_id}/inputs", node.node_inputs, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/nodes/{node_id}/output", node.node_output, methods=["GET"]),
        Route("/dispatches/{dispatch_id}/redispatch", actions.redispatch, methods=["POST"]),
        Route("/preview", preview.preview_index, methods=["GET"]),
        Route("/preview", preview.preview_submit, methods=["POST"]),
        Route("/preview/{preview_id}", preview.preview_page, methods=["GET"]),
        Route("/preview/{preview_id}/graph", preview.preview_graph, methods=["GET"]),
        Route("/logs", system.logs_page, methods=["GET"]),
        Route("/settings", system.settings_page, methods=["GET"]),
        Route("/plugins", system.plugins_page, methods=["GET"]),
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login_submit, methods=["POST"]),
        Route("/logout", auth.logout, methods=["GET"]),
        Route("/highlight.css", system.highlight_css, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: _error},
    )
    app.state.previews = preview.PreviewStore()
    return app


def create_dashboard() -> ASGIApp:
    """The ASGI app the server mounts at its root (see :mod:`covalent_ui.plugin`)."""
    return ServerStateBridge(dashboard_app())
