"""Server endpoints: health, status, plugins, settings and logs."""

from __future__ import annotations

import os
import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from covalent import __version__
from covalent._version import DISTRIBUTION
from covalent.logtail import tail_lines
from covalent.server.api.common import read_db, server_state
from covalent.server.store.records import dispatch_counts
from covalent.server.view import ServerView, mask_secrets, mask_url

__all__ = ["get_logs", "get_plugins", "get_settings", "get_status", "health", "mask_secrets"]


async def health(request: Request) -> Response:
    """
    summary: Liveness and version
    responses:
      200: {description: "{status: ok, version}"}
    """
    return JSONResponse({"status": "ok", "version": __version__, "pid": os.getpid()})


async def get_status(request: Request) -> Response:
    """
    summary: Address, database, executors (with their backends and distributions) and running dispatches
    responses:
      200: {description: server status}
    """
    state = server_state(request)

    from covalent.coinstall import find_coinstalled
    from covalent.executor.registry import default_executor_name, executor_classes
    from covalent.plugins.manager import executor_distributions

    coinstalled = find_coinstalled()
    return JSONResponse(
        {
            "version": __version__,
            "distribution": DISTRIBUTION,
            # Agnostiq's `covalent` installed beside this server's package (None: not).
            "coinstalled": coinstalled.message if coinstalled else None,
            "pid": os.getpid(),
            "uptime": time.time() - state.started_at,
            "database": mask_url(state.database_url),
            "data_dir": str(state.data_dir),
            "default_executor": default_executor_name(),
            "installed_executors": sorted(executor_classes()),
            "executor_distributions": executor_distributions(),
            "executors": state.executors.describe(),
            "running_dispatches": sorted(state.dispatcher.runs),
            "triggers": state.triggers.status(),
            "dispatch_counts": await read_db(request, dispatch_counts),
            "writer": {
                "batches": state.writer.batches,
                "operations": state.writer.operations,
                "last_error": state.writer.last_error,
            },
        }
    )


async def get_plugins(request: Request) -> Response:
    """
    summary: Loaded plugins, their executors, and plugins that failed to load
    responses:
      200: {description: "{plugins: [...]}"}
    """
    from covalent.plugins.manager import plugin_infos

    return JSONResponse({"plugins": [p.to_dict() for p in plugin_infos()], "panels": server_state(request).panels})


async def get_settings(request: Request) -> Response:
    """
    summary: The effective configuration, with secrets masked
    responses:
      200: {description: settings}
    """
    return JSONResponse(ServerView(server_state(request)).settings())


async def get_logs(request: Request) -> Response:
    """
    summary: The server log (last lines, or the whole file with download=1)
    parameters:
      - {name: lines, in: query, schema: {type: integer, minimum: 1, maximum: 100000}}
      - {name: download, in: query, schema: {type: boolean}}
    responses:
      200: {description: "{lines: [...]} or the file"}
      404: {description: the server runs without a log file}
      422: {description: bad query}
    """
    path = server_state(request).log_path
    if path is None or not path.exists():
        raise HTTPException(404, "this server writes no log file (started in the foreground?)")
    if request.query_params.get("download") in ("1", "true"):
        return FileResponse(path, filename="covalent.log", media_type="text/plain")
    try:
        count = int(request.query_params.get("lines", "200"))
    except ValueError:
        raise HTTPException(422, "lines must be an integer") from None
    if not 1 <= count <= 100_000:
        raise HTTPException(422, "lines must be between 1 and 100000")
    return JSONResponse({"lines": tail_lines(path, count)})
