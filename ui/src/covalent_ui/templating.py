"""The Jinja2 environment of the dashboard and the page-rendering helper."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from covalent import __version__
from covalent_ui.context import SCOPE_KEY, base_path
from covalent_ui.formatting import register_filters

__all__ = ["TEMPLATE_DIR", "page", "query_with", "render", "templates"]

TEMPLATE_DIR = Path(__file__).parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
register_filters(_env)
templates = Jinja2Templates(env=_env)


def query_with(request: Request, **changes: Any) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            items += [(key, str(v)) for v in value]
        else:
            items.append((key, str(value)))
    return "?" + urlencode(items) if items else "?"


def _panels(request: Request) -> list[dict[str, str]]:
    view = request.scope.get(SCOPE_KEY)
    return view.panels if view is not None else []


def _values(request: Request) -> dict[str, Any]:
    base = base_path(request)
    return {
        "base": base,
        "api": base + "/api/v1",
        "panels": _panels(request),
        "version": __version__,
        "query_with": lambda **changes: query_with(request, **changes),
        "path": request.url.path,
    }


def page(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """Render template ``name`` with the values every page uses (base path, menu, version)."""
    values = _values(request)
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def render(request: Request, name: str, context: dict[str, Any] | None = None) -> str:
    """Template ``name`` as text (a part of a page that a script puts in place)."""
    values = {"request": request, **_values(request), **(context or {})}
    return _env.get_template(name).render(values)
