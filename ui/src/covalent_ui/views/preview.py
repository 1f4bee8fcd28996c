"""``/preview``: draw a workflow's graph from its manifest, before it is dispatched.

``covalent_ui.preview(lattice, *args)`` POSTs the manifest JSON here and
opens the browser at the page it gets back.  A person can also paste a
manifest into the form.  Previews are kept in memory (the latest few) and
are never registered as dispatches.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from covalent.graph.manifest_schema import ManifestError, parse_manifest, validate_manifest
from covalent.graph.transport_graph import TransportGraph
from covalent_ui.context import base_path
from covalent_ui.templating import page
from covalent_ui.views.graph import caption, draw, graph_fragment, graph_script

__all__ = [
    "MAX_MANIFEST_BYTES",
    "PreviewStore",
    "preview_graph",
    "preview_index",
    "preview_page",
    "preview_submit",
]

MAX_MANIFEST_BYTES = 32 << 20


class PreviewStore:
    """The latest ``capacity`` previews, by random id (oldest dropped first)."""

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def add(self, manifest: Any) -> str:
        """Check ``manifest`` whole (as the server checks a dispatch's) and keep its graph; returns its id."""
        validate_manifest(manifest, "the manifest")
        tg = TransportGraph.from_dict(manifest["graph"])
        if not tg.is_acyclic():
            raise ManifestError("the manifest's graph has a cycle")
        preview_id = secrets.token_urlsafe(9)
        lattice = manifest.get("lattice") or {}
        self._items[preview_id] = {
            "id": preview_id,
            "name": str(manifest.get("name") or "workflow"),
            "graph": tg.to_dict(),
            "lattice": {k: lattice.get(k) for k in ("source", "doc", "parameters")},
            "created_at": time.time(),
        }
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return preview_id

    def get(self, preview_id: str) -> dict[str, Any] | None:
        return self._items.get(preview_id)

    def latest(self) -> list[dict[str, Any]]:
        return list(reversed(self._items.values()))


def _store(request: Request) -> PreviewStore:
    return request.app.state.previews


async def preview_index(request: Request) -> Response:
    """``GET /preview``: recent previews and a form to paste a manifest."""
    return page(request, "preview_index.html", {"previews": _store(request).latest(), "error": ""})


async def preview_submit(request: Request) -> Response:
    """``POST /preview``: a manifest as JSON (answers ``{id, url}``) or a form (redirects)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_MANIFEST_BYTES:
        raise HTTPException(413, f"a manifest for preview may be at most {MAX_MANIFEST_BYTES} bytes")
    is_json = request.headers.get("content-type", "").startswith("application/json")
    if is_json:
        raw = await request.body()
    else:
        form = await request.form(max_files=0, max_fields=2, max_part_size=MAX_MANIFEST_BYTES)
        raw = str(form.get("manifest", "")).encode()
    try:
        preview_id = _store(request).add(parse_manifest(raw, "the manifest"))
    except ManifestError as exc:
        if is_json:
            raise HTTPException(422, f"not a manifest: {exc}") from None
        context = {"previews": _store(request).latest(), "error": f"Not a manifest: {exc}"}
        return page(request, "preview_index.html", context, status_code=422)
    url = f"{base_path(request)}/preview/{preview_id}"
    if is_json:
        return JSONResponse({"id": preview_id, "url": url}, status_code=201)
    return RedirectResponse(url, status_code=303)


def _item(request: Request) -> dict[str, Any]:
    item = _store(request).get(request.path_params["preview_id"])
    if item is None:
        raise HTTPException(404, "no such preview (previews are kept in memory, the latest 32 only)")
    return item


async def preview_page(request: Request) -> Response:
    """``GET /preview/{id}``: the graph (collapsed when large, ``?view=full`` for all of it)."""
    item = _item(request)
    view = draw(request, item["graph"], {}, None)
    context = {
        "item": item,
        "view": view,
        "caption": caption(view),
        "script_json": graph_script(view),
        "lattice": item["lattice"],
    }
    return page(request, "preview.html", context)


async def preview_graph(request: Request) -> Response:
    """``GET /preview/{id}/graph?...``: the drawing for these options as JSON."""
    return graph_fragment(request, draw(request, _item(request)["graph"], {}, None))
