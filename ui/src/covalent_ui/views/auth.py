"""``/login`` and ``/logout``: the token cookie the server's token middleware accepts.

``/login`` is the one dashboard path the middleware leaves open, so its page
carries its own styles (``/static`` needs the token like everything else).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from covalent_ui.context import SCOPE_KEY, base_path
from covalent_ui.security import COOKIE_NAME
from covalent_ui.templating import TEMPLATE_DIR, page

__all__ = ["login_form", "login_submit", "logout", "safe_next"]

#: How long the browser keeps the token cookie (30 days).
COOKIE_MAX_AGE = 30 * 24 * 3600


def safe_next(request: Request, target: str | None) -> str:
    """Where to go after logging in: a path on this server only, never another host."""
    base = base_path(request)
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return base + "/"
    return target


def _token_required(request: Request) -> bool:
    view = request.scope.get(SCOPE_KEY)
    return view is not None and view.token_required


def _form(request: Request, *, error: str = "", status_code: int = 200, next_url: str = "") -> Response:
    css = (TEMPLATE_DIR.parent / "static" / "style.css").read_text(encoding="utf-8")
    return page(
        request,
        "login.html",
        {
            "error": error,
            "next": safe_next(request, next_url or request.query_params.get("next")),
            "token_required": _token_required(request),
            "inline_css": css,
        },
        status_code=status_code,
    )


async def login_form(request: Request) -> Response:
    """``GET /login``: a form asking for the server's token."""
    return _form(request)


async def login_submit(request: Request) -> Response:
    """``POST /login``: check the token and keep it in an HttpOnly, SameSite=Strict cookie."""
    form = await request.form(max_files=0, max_fields=4)
    token = str(form.get("token", "")).strip()
    next_url = str(form.get("next", ""))
    view = request.scope.get(SCOPE_KEY)
    required = view is not None and view.token_required
    if required and not view.accepts_token(token):
        return _form(
            request,
            error="That is not the token of this server.",
            status_code=401,
            next_url=next_url,
        )
    response = RedirectResponse(safe_next(request, next_url), status_code=303)
    if required:
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=COOKIE_MAX_AGE,
            path=base_path(request) + "/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


async def logout(request: Request) -> Response:
    """``GET /logout``: forget the token cookie."""
    response = RedirectResponse(base_path(request) + "/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=base_path(request) + "/")
    return response
