"""One dispatch: its graph (live), summary, lattice source and parameters, node inputs."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.graph.draw import STATUS_COLOURS
from covalent.server.view import Snapshot
from covalent.status import Status
from covalent_ui.context import server_view
from covalent_ui.formatting import TERMINAL
from covalent_ui.graphview import COLLAPSE_THRESHOLD, build_view
from covalent_ui.templating import page
from covalent_ui.values import preview_blob, preview_blobs

__all__ = ["dispatch_page", "dispatch_statuses", "dispatch_summary", "node_inputs", "script_json"]

#: A node's inputs listed in its panel, at most.
MAX_INPUTS = 200


def script_json(data: Any) -> str:
    """JSON safe to embed in a ``<script>`` element (no ``<``, ``>`` or ``&`` left raw)."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _node_id(request: Request) -> int:
    try:
        return int(request.path_params["node_id"])
    except ValueError:
        raise HTTPException(422, "node_id must be an integer") from None


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


async def dispatch_page(request: Request) -> Response:
    """``GET /dispatches/{id}``: graph (``?view=full|collapsed``), summary, lattice."""
    dispatch_id = request.path_params["dispatch_id"]
    record = await _summary(request, dispatch_id, with_manifest=True)
    rows = await server_view(request).read(lambda snapshot: snapshot.nodes(dispatch_id))
    statuses = {r["node_id"]: r["status"] for r in rows}
    graph = record.pop("manifest")["graph"]
    view = build_view(graph, statuses, request.query_params.get("view"))
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
    script = {
        "dispatch_id": dispatch_id,
        "status": record["status"],
        "terminal": context["terminal"],
        "colours": STATUS_COLOURS,
        **view.script_data(),
    }
    context.update(
        {
            "view": view,
            "script_json": script_json(script),
            "sublattices": sublattices,
            "threshold": COLLAPSE_THRESHOLD,
            "lattice": record.get("lattice") or {},
        }
    )
    return page(request, "dispatch.html", context)


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


async def node_inputs(request: Request) -> Response:
    """``GET /dispatches/{id}/nodes/{node_id}/inputs``: incoming edges with value previews."""
    dispatch_id = request.path_params["dispatch_id"]
    node_id = _node_id(request)

    def read(snapshot: Snapshot) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]] | None:
        record = snapshot.dispatch(dispatch_id, with_manifest=True)
        if record is None:
            return None
        graph = record["manifest"]["graph"]
        if not any(int(n["id"]) == node_id for n in graph["nodes"]):
            return None
        edges = [e for e in graph["edges"] if int(e["target"]) == node_id]
        rows = {r["node_id"]: r for r in snapshot.nodes(dispatch_id)}
        return edges, rows

    found = await server_view(request).read(read)
    if found is None:
        raise HTTPException(404, f"dispatch {dispatch_id} has no node {node_id}")
    edges, rows = found
    edges.sort(key=lambda e: (e.get("arg_index") is None, e.get("arg_index") or 0, str(e.get("param", ""))))
    shown = edges[:MAX_INPUTS]
    keys = [
        rows[int(e["source"])]["output_key"]
        for e in shown
        if rows.get(int(e["source"]), {}).get("status") == Status.COMPLETED and rows[int(e["source"])].get("output_key")
    ]
    previews = await preview_blobs(server_view(request), keys)
    inputs = []
    for edge in shown:
        source = rows.get(int(edge["source"]), {})
        inputs.append(
            {
                "param": str(edge.get("param") or ""),
                "arg_index": edge.get("arg_index"),
                "key": edge.get("key"),
                "wait": bool(edge.get("wait")),
                "source": int(edge["source"]),
                "name": source.get("name", ""),
                "kind": source.get("kind", ""),
                "status": source.get("status", ""),
                "preview": previews.get(source.get("output_key") or "", None),
            }
        )
    return JSONResponse({"inputs": inputs, "total": len(edges)})
