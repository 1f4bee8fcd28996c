"""One dispatch: its graph (live), summary, lattice source and parameters, node inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.view import DispatchRecord, PublicTrigger, Snapshot, TriggerRun
from covalent.status import Status
from covalent_ui.context import base_path, server_view
from covalent_ui.formatting import TERMINAL
from covalent_ui.templating import page
from covalent_ui.values import preview_blob
from covalent_ui.views.graph import caption, draw, graph_fragment, graph_script

__all__ = ["About", "dispatch_graph", "dispatch_page", "dispatch_statuses", "dispatch_summary"]


@dataclass(frozen=True, slots=True)
class About:
    """What the dispatch page shows beside the record: its parent's name, its triggers and their runs."""

    parent_name: str = ""
    triggers: list[PublicTrigger] = field(default_factory=list)
    trigger_runs: list[TriggerRun] = field(default_factory=list)
    trigger_run_count: int = 0
    #: The dispatch whose trigger started this one.
    trigger_origin: str | None = None


async def _summary(request: Request, dispatch_id: str, *, with_manifest: bool = False) -> tuple[DispatchRecord, About]:
    def read(snapshot: Snapshot) -> tuple[DispatchRecord, About] | None:
        record = snapshot.dispatch(dispatch_id, with_manifest=with_manifest, with_counts=True)
        if record is None:
            return None
        parent_name = ""
        if record.parent_dispatch_id:
            parent = snapshot.dispatch(record.parent_dispatch_id)
            parent_name = parent.name if parent else ""
        runs, run_count = snapshot.trigger_runs(dispatch_id)
        link = snapshot.trigger_links([dispatch_id]).get(dispatch_id)
        origin = link.origin if link else None
        return record, About(parent_name, snapshot.triggers(dispatch_id), runs, run_count, origin)

    found = await server_view(request).read(read)
    if found is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return found


async def _summary_context(request: Request, record: DispatchRecord) -> dict[str, Any]:
    result = None
    if record.status == Status.COMPLETED and record.output_key:
        result = await preview_blob(server_view(request), record.output_key)
    counts = record.node_counts or {}
    return {
        "d": record,
        "result_preview": result,
        "terminal": record.status in TERMINAL,
        "completed": counts.get(Status.COMPLETED, 0),
        "total": sum(counts.values()),
    }


def _node_link(request: Request, dispatch_id: str) -> str:
    return f"{base_path(request)}/dispatches/{dispatch_id}/nodes/"


async def dispatch_page(request: Request) -> Response:
    """``GET /dispatches/{id}``: graph (``?view=full|collapsed&dir=TB|LR&params=0&expand=1,2``), summary, lattice."""
    dispatch_id = request.path_params["dispatch_id"]
    record, about = await _summary(request, dispatch_id, with_manifest=True)
    rows = await server_view(request).read(lambda snapshot: snapshot.nodes(dispatch_id))
    statuses = {r.node_id: r.status for r in rows}
    graph = (record.manifest or {})["graph"]
    view = draw(request, graph, statuses, _node_link(request, dispatch_id))
    sublattices = [r for r in rows if r.sublattice_dispatch_id]
    context = await _summary_context(request, record)
    script = graph_script(view, dispatch_id=dispatch_id, status=record.status, terminal=context["terminal"])
    context.update(
        {
            "about": about,
            "view": view,
            "caption": caption(view),
            "script_json": script,
            "sublattices": sublattices,
            "lattice": record.lattice or {},
        }
    )
    return page(request, "dispatch.html", context)


async def dispatch_graph(request: Request) -> Response:
    """``GET /dispatches/{id}/graph?...``: the drawing for these options as JSON (for the page's script)."""
    dispatch_id = request.path_params["dispatch_id"]

    def read(snapshot: Snapshot) -> tuple[dict[str, Any], dict[int, str]] | None:
        record = snapshot.dispatch(dispatch_id, with_manifest=True)
        if record is None or record.manifest is None:
            return None
        return record.manifest["graph"], {r.node_id: r.status for r in snapshot.nodes(dispatch_id)}

    found = await server_view(request).read(read)
    if found is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    graph, statuses = found
    return graph_fragment(request, draw(request, graph, statuses, _node_link(request, dispatch_id)))


async def dispatch_summary(request: Request) -> Response:
    """``GET /dispatches/{id}/summary``: the summary block alone (refreshed at the end)."""
    record, _ = await _summary(request, request.path_params["dispatch_id"])
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
            "status": record.status,
            "nodes": {r.node_id: r.status for r in rows if r.kind != "parameter"},
        }

    data = await server_view(request).read(read)
    if data is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return JSONResponse(data)
