"""One dispatch: its graph (live), summary, lattice source and parameters, node inputs."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.view import Snapshot
from covalent.status import Status
from covalent_ui.context import base_path, server_view
from covalent_ui.formatting import TERMINAL
from covalent_ui.templating import page
from covalent_ui.values import preview_blob
from covalent_ui.views.graph import caption, draw, graph_fragment, graph_script

__all__ = ["dispatch_graph", "dispatch_page", "dispatch_statuses", "dispatch_summary", "with_counts"]


def with_counts(snapshot: Snapshot, dispatch_id: str) -> dict[str, Any] | None:
    """A dispatch's record with its task counts by status (``node_counts``); None if unknown."""
    record = snapshot.dispatch(dispatch_id)
    if record is not None:
        record["node_counts"] = snapshot.node_counts([dispatch_id])[dispatch_id]
    return record


async def _summary(request: Request, dispatch_id: str, *, with_manifest: bool = False) -> dict[str, Any]:
    def read(snapshot: Snapshot) -> dict[str, Any] | None:
        record = snapshot.dispatch(dispatch_id, with_manifest=with_manifest)
        if record is None:
            return None
        record["node_counts"] = snapshot.node_counts([dispatch_id])[dispatch_id]
        if record.get("parent_dispatch_id"):
            parent = snapshot.dispatch(record["parent_dispatch_id"])
            record["parent_name"] = parent["name"] if parent else ""
        record["triggers"] = snapshot.triggers(dispatch_id)
        record["trigger_runs"], record["trigger_run_count"] = snapshot.trigger_runs(dispatch_id)
        record["trigger_origin"] = snapshot.trigger_links([dispatch_id]).get(dispatch_id, {}).get("origin")
        return record

    record = await server_view(request).read(read)
    if record is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return record


async def _summary_context(request: Request, record: dict[str, Any]) -> dict[str, Any]:
    result = None
    if record["status"] == Status.COMPLETED and record.get("output_key"):
        result = await preview_blob(server_view(request), record["output_key"])
    counts = record.get("node_counts", {})
    return {
        "d": record,
        "result_preview": result,
        "terminal": record["status"] in TERMINAL,
        "completed": counts.get(Status.COMPLETED, 0),
        "total": sum(counts.values()),
    }


def _node_link(request: Request, dispatch_id: str) -> str:
    return f"{base_path(request)}/dispatches/{dispatch_id}/nodes/"


async def dispatch_page(request: Request) -> Response:
    """``GET /dispatches/{id}``: graph (``?view=full|collapsed&dir=TB|LR&params=0&expand=1,2``), summary, lattice."""
    dispatch_id = request.path_params["dispatch_id"]
    record = await _summary(request, dispatch_id, with_manifest=True)
    rows = await server_view(request).read(lambda snapshot: snapshot.nodes(dispatch_id))
    statuses = {r["node_id"]: r["status"] for r in rows}
    graph = record.pop("manifest")["graph"]
    view = draw(request, graph, statuses, _node_link(request, dispatch_id))
    sublattices = [
        {
            "node_id": r["node_id"],
            "name": r["name"],
            "dispatch_id": r["sublattice_dispatch_id"],
            "status": r["status"],
        }
        for r in rows
        if r.get("sublattice_dispatch_id")
    ]
    context = await _summary_context(request, record)
    script = graph_script(view, dispatch_id=dispatch_id, status=record["status"], terminal=context["terminal"])
    context.update(
        {
            "view": view,
            "caption": caption(view),
            "script_json": script,
            "sublattices": sublattices,
            "lattice": record.get("lattice") or {},
        }
    )
    return page(request, "dispatch.html", context)


async def dispatch_graph(request: Request) -> Response:
    """``GET /dispatches/{id}/graph?...``: the drawing for these options as JSON (for the page's script)."""
    dispatch_id = request.path_params["dispatch_id"]

    def read(snapshot: Snapshot) -> tuple[dict[str, Any], dict[int, str]] | None:
        record = snapshot.dispatch(dispatch_id, with_manifest=True)
        if record is None:
            return None
        return record["manifest"]["graph"], {r["node_id"]: r["status"] for r in snapshot.nodes(dispatch_id)}

    found = await server_view(request).read(read)
    if found is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    graph, statuses = found
    return graph_fragment(request, draw(request, graph, statuses, _node_link(request, dispatch_id)))


async def dispatch_summary(request: Request) -> Response:
    """``GET /dispatches/{id}/summary``: the summary block alone (refreshed at the end)."""
    record = await _summary(request, request.path_params["dispatch_id"])
    return page(request, "_summary.html", await _summary_context(request, record))


async def dispatch_statuses(request: Request) -> Response:
    """``GET /dispatches/{id}/statuses``: ``{status, nodes: {id: status}}``, to resync.

    The page's script calls it each time its event stream (re)connects.
    """
    dispatch_id = request.path_params["dispatch_id"]

    def read(snapshot: Snapshot) -> dict[str, Any] | None:
        record = snapshot.dispatch(dispatch_id)
        if record is None:
            return None
        rows = snapshot.nodes(dispatch_id)
        return {
            "status": record["status"],
            "nodes": {r["node_id"]: r["status"] for r in rows if r["kind"] != "parameter"},
        }

    data = await server_view(request).read(read)
    if data is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return JSONResponse(data)
