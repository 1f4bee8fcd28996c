"""The Starlette application: API under /api/v1, plugin mounts, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from covalent import config
from covalent.limits import Limits
from covalent.server.access import ensure_token, is_loopback
from covalent.server.api import api_routes
from covalent.server.db.sqlite_file import check_database
from covalent.server.guard import OriginPolicy, RequestGuard
from covalent.server.middleware import BodyLimit, TokenAuth
from covalent.server.triggers import Mode

__all__ = ["create_app"]

log = logging.getLogger("covalent.server")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    detail = f"the database is unavailable right now: {type(exc).__name__}; try again later"
    return JSONResponse({"detail": detail}, status_code=503)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)


def _plugin_mounts(panels: list[dict[str, str]]) -> list[BaseRoute]:
    from covalent.plugins.manager import call_each, get_plugin_manager

    pm = get_plugin_manager()
    mounts: list[tuple[str, Any]] = []

    def register(path: str, asgi_app: Any) -> None:
        mounts.append((path.rstrip("/"), asgi_app))

    def register_panel(title: str, path: str, description: str = "") -> None:
        panels.append({"title": title, "path": path, "description": description})

    for plugin, exc in call_each(pm, "register_routes", register=register):
        log.warning("plugin %s failed to register routes: %s", plugin, exc)
    for plugin, exc in call_each(pm, "register_dashboard_panels", register=register_panel):
        log.warning("plugin %s failed to register panels: %s", plugin, exc)
    # Longer paths first, the root (the dashboard) last.
    mounts.sort(key=lambda m: -len(m[0]))
    return [Mount(path or "", app=asgi_app) for path, asgi_app in mounts]


async def _root(request: Request) -> Response:
    return JSONResponse(
        {
            "detail": (
                "Covalent server. The API is at /api/v1 (see /api/v1/openapi.json); "
                'pip install "bondflow[ui]" for the dashboard.'
            )
        }
    )


def create_app(
    *,
    host: str = "127.0.0.1",
    log_path: Path | None = None,
    start_cluster: bool = True,
    triggers: Mode = "on",
    executor_overrides: dict[str, dict[str, Any]] | None = None,
) -> Starlette:
    """The server application; its lifespan opens the database and starts the dispatcher.

    ``executor_overrides``: options given to every executor of a kind for this
    run (``{"dask": {"n_workers": 2}}`` from ``covalent start -n 2``), over the
    settings and under what an electron's executor states itself.
    """
    settings = config.load()
    panels: list[dict[str, str]] = []
    token = "" if is_loopback(host) else ensure_token(host)
    check_database(config.database_url())  # a broken file is one clear line here, not a traceback later

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from covalent.server.lifecycle import start_services, stop_services

        state = await start_services(
            settings,
            log_path=log_path,
            token=token,
            panels=panels,
            triggers_mode=triggers,
            executor_overrides=executor_overrides,
        )
        app.state.covalent = state
        background = asyncio.get_running_loop().create_task(_after_ready(state, start_cluster and triggers != "only"))
        try:
            yield
        finally:
            background.cancel()
            await stop_services(state)

    routes: list[BaseRoute] = [Mount("/api/v1", routes=api_routes(triggers_only=triggers == "only"))]
    routes += _plugin_mounts(panels)
    if not any(isinstance(r, Mount) and r.path == "" for r in routes):
        routes.append(Route("/", _root))
    origins = list(settings["server"].get("cors_origins") or [])
    policy = OriginPolicy.for_bind(
        host,
        allowed_hosts=settings["server"].get("allowed_hosts") or [],
        allowed_origins=[*(settings["server"].get("allowed_origins") or []), *origins],
    )
    middleware = [
        Middleware(RequestGuard, policy=policy),
        Middleware(BodyLimit, max_bytes=Limits.from_settings(settings).max_request_bytes),
    ]
    if origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=origins, allow_methods=["*"], allow_headers=["*"]))
    if token:
        middleware.append(Middleware(TokenAuth, token=token))
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            HTTPException: _http_error,
            OperationalError: _database_unavailable,
            Exception: _unexpected,
        },
    )


async def _after_ready(state: Any, start_cluster: bool) -> None:
    """Heavy start-up work, done after the server accepts requests."""
    if state.triggers.launcher is not None:
        try:
            from covalent.server.registration import write_missing_rows

            written = await write_missing_rows(state.blobs.engine, state.writer)
            if written:
                log.info("wrote the node rows of %d dispatch(es) recorded before the stop", len(written))
            await state.dispatcher.resume_all()
        except Exception:
            log.exception("resuming dispatches failed")
    try:
        await state.triggers.start()
    except Exception:
        log.exception("observing triggers again failed")
    if start_cluster:
        state.executors.warm_up(None)
    from covalent.graph import manifest_schema

    await asyncio.to_thread(manifest_schema.prepare)  # the first dispatch need not build it
