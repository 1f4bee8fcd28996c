"""Server pages: the log (tail and download), the settings (masked) and the plugins."""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from covalent.logtail import tail_lines
from covalent_ui.context import server_view
from covalent_ui.highlight import stylesheet
from covalent_ui.templating import page

__all__ = ["flatten", "highlight_css", "logs_page", "plugins_page", "search_lines", "settings_page"]

LINE_CHOICES = (100, 200, 1000, 5000)


def search_lines(path: Path, needle: str, count: int) -> tuple[list[str], int]:
    """The last ``count`` lines of the whole file that contain ``needle`` (any case), and how many do."""
    wanted = needle.casefold()
    found: deque[str] = deque(maxlen=count)
    total = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if wanted in line.casefold():
                found.append(line.rstrip("\n"))
                total += 1
    return list(found), total


async def logs_page(request: Request) -> Response:
    """``GET /logs``: the end of the server log (``?q=`` the lines of the whole log that contain it)."""
    try:
        count = int(request.query_params.get("lines", "200"))
    except ValueError:
        count = 200
    count = min(max(count, 1), 100_000)
    needle = request.query_params.get("q", "")[:256]
    path = server_view(request).log_path
    lines: list[str] = []
    matches = 0
    if path is not None and path.exists():
        if needle:
            lines, matches = await asyncio.to_thread(search_lines, path, needle, count)
        else:
            lines = await asyncio.to_thread(tail_lines, path, count)
    return page(
        request,
        "logs.html",
        {
            "lines": lines,
            "count": count,
            "choices": LINE_CHOICES,
            "log_path": path,
            "has_log": bool(path and path.exists()),
            "q": needle,
            "matches": matches,
        },
    )


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as ``(dotted.key, value)`` rows."""
    if isinstance(value, dict) and value:
        rows: list[tuple[str, Any]] = []
        for key in sorted(value):
            rows += flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return rows
    return [(prefix, value)]


async def settings_page(request: Request) -> Response:
    """``GET /settings``: the effective configuration, secrets masked as the API masks them."""
    from covalent import config

    settings = server_view(request).settings()
    settings["paths"]["config_file"] = str(config.config_path())
    rows = flatten(settings)
    return page(request, "settings.html", {"rows": rows})


async def plugins_page(request: Request) -> Response:
    """``GET /plugins``: loaded plugins with their executors, load errors, and dashboard panels."""
    from covalent.executor.registry import default_executor_name
    from covalent.plugins.manager import plugin_infos

    view = server_view(request)
    infos = [p.to_dict() for p in plugin_infos()]
    return page(
        request,
        "plugins.html",
        {
            "plugins": [p for p in infos if p["loaded"]],
            "failed": [p for p in infos if not p["loaded"]],
            "running_executors": view.executors(),
            "default_executor": default_executor_name(),
        },
    )


async def highlight_css(request: Request) -> Response:
    """``GET /highlight.css``: the colours of highlighted source code."""
    return Response(stylesheet(), media_type="text/css", headers={"cache-control": "max-age=3600"})
