"""One node: its page (or the dispatch page's side panel), its inputs, its live output; the node table.

``GET /dispatches/{id}/nodes/{node_id}`` is a page of its own without
JavaScript and the side panel's HTML with ``?fragment=1``: the same template
either way, drawn on the server.  It shows the function's source (highlighted),
the executor and its options (secrets masked), each attempt and its error,
when the node was queued, started and ended, its inputs and output, stdout
and stderr, file transfers and copy buttons for the ids.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, replace
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.view import DispatchRecord, NodeBrief, NodeRecord, Snapshot, mask_secrets
from covalent.status import Status
from covalent_ui.context import server_view
from covalent_ui.formatting import TERMINAL, span
from covalent_ui.highlight import highlight_python
from covalent_ui.templating import page
from covalent_ui.values import preview_blob, preview_blobs

__all__ = ["MAX_INPUTS", "node_inputs", "node_output", "node_page", "nodes_page"]

#: A node's inputs listed in its panel, at most.
MAX_INPUTS = 200
NODES_PER_PAGE = 200


def _node_id(request: Request) -> int:
    try:
        node_id = int(request.path_params["node_id"])
    except ValueError:
        raise HTTPException(422, "node_id must be an integer") from None
    if not 0 <= node_id < 2**31:
        raise HTTPException(422, "node_id is out of range")
    return node_id


@dataclass
class NodeRead:
    """What one read of the database gives about a node."""

    dispatch: DispatchRecord
    row: NodeRecord
    spec: dict[str, Any]
    source: str
    edges: list[dict[str, Any]]
    sources: dict[int, NodeBrief]


def _read_node(dispatch_id: str, node_id: int) -> Any:
    def read(snapshot: Snapshot) -> NodeRead | None:
        record = snapshot.dispatch(dispatch_id, with_manifest=True)
        if record is None or record.manifest is None:
            return None
        row = snapshot.node(dispatch_id, node_id)
        if row is None:
            return None
        manifest = record.manifest
        record = replace(record, manifest=None)  # what the page shows of the dispatch
        graph = manifest["graph"]
        spec: dict[str, Any] = next((n for n in graph["nodes"] if int(n["id"]) == node_id), {})
        source = ""
        if spec.get("function"):
            source = str((manifest.get("sources") or {}).get(spec["function"]) or "")
        edges = [e for e in graph["edges"] if int(e["target"]) == node_id]
        wanted = {int(e["source"]) for e in edges}
        sources = {r.node_id: r for r in snapshot.nodes(dispatch_id) if r.node_id in wanted} if wanted else {}
        return NodeRead(record, row, spec, source, edges, sources)

    return read


async def _inputs(request: Request, found: NodeRead) -> tuple[list[dict[str, Any]], int]:
    """The node's incoming edges with value previews, in argument order (at most :data:`MAX_INPUTS`)."""
    edges = sorted(
        found.edges,
        key=lambda e: (e.get("arg_index") is None, e.get("arg_index") or 0, str(e.get("param", ""))),
    )
    shown = edges[:MAX_INPUTS]
    rows = found.sources
    sources = [rows.get(int(e["source"])) for e in shown]
    keys = [r.output_key for r in sources if r is not None and r.status == Status.COMPLETED and r.output_key]
    previews = await preview_blobs(server_view(request), keys)
    inputs = []
    for edge in shown:
        source = rows.get(int(edge["source"]))
        inputs.append(
            {
                "param": str(edge.get("param") or ""),
                "arg_index": edge.get("arg_index"),
                "key": edge.get("key"),
                "wait": bool(edge.get("wait")),
                "source": int(edge["source"]),
                "name": source.name if source else "",
                "kind": source.kind if source else "",
                "status": source.status if source else "",
                "preview": previews.get(source.output_key or "", None) if source else None,
            }
        )
    return inputs, len(edges)


def _executor(request: Request, row: NodeRecord, spec: dict[str, Any]) -> dict[str, Any]:
    """The executor's name, the options the workflow gave it and the server's defaults, secrets masked."""
    given = spec.get("executor") or {}
    name = row.executor or given.get("name") or ""
    defaults = (server_view(request).settings().get("executors") or {}).get(name) or {}
    return {
        "name": name,
        "options": mask_secrets(dict(given.get("kwargs") or {})),
        "defaults": defaults if isinstance(defaults, dict) else {},
    }


def _attempts(row: NodeRecord) -> list[dict[str, Any]]:
    """Every attempt of the node, the last one included (earlier ones from its history)."""
    earlier = [a.as_json() for a in row.history or []]
    last = {
        "attempt": row.attempts or len(earlier) + 1,
        "status": row.status,
        "submitted_at": row.submitted_at,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "worker": row.worker,
        "error": row.error if row.status != Status.COMPLETED else None,
    }
    attempts = [*earlier, last] if (row.attempts or 0) > 0 or earlier else []
    for a in attempts:
        a["queued"] = span(a.get("submitted_at"), a.get("start_time"))
        a["ran"] = span(a.get("start_time"), a.get("end_time"))
    return attempts


async def node_page(request: Request) -> Response:
    """``GET /dispatches/{id}/nodes/{node_id}``: the node's page; ``?fragment=1``: the side panel's HTML."""
    dispatch_id = request.path_params["dispatch_id"]
    node_id = _node_id(request)
    found = await server_view(request).read(_read_node(dispatch_id, node_id))
    if found is None:
        raise HTTPException(404, f"dispatch {dispatch_id} has no node {node_id}")
    row = found.row
    inputs, total_inputs = await _inputs(request, found)
    output = None
    if row.status == Status.COMPLETED and row.output_key and row.kind != "parameter":
        output = await preview_blob(server_view(request), row.output_key)
    context = {
        "d": found.dispatch,
        "n": row,
        "spec": found.spec,
        "source": highlight_python(found.source) if found.source else None,
        "executor": _executor(request, row, found.spec),
        "attempts": _attempts(row),
        "inputs": inputs,
        "total_inputs": total_inputs,
        "output_preview": output,
        "running": row.status == Status.RUNNING,
        "terminal": row.status in TERMINAL,
        "fragment": request.query_params.get("fragment") == "1",
    }
    return page(request, "_node.html" if context["fragment"] else "node.html", context)


async def node_output(request: Request) -> Response:
    """``GET /dispatches/{id}/nodes/{node_id}/output``: ``{stdout, stderr, live}`` (what the node printed so far)."""
    dispatch_id = request.path_params["dispatch_id"]
    node_id = _node_id(request)
    view = server_view(request)
    row = await view.read(lambda snapshot: snapshot.node(dispatch_id, node_id))
    if row is None:
        raise HTTPException(404, f"dispatch {dispatch_id} has no node {node_id}")
    live = row.status == Status.RUNNING
    stdout, stderr = row.stdout or "", row.stderr or ""
    if live:  # what it has printed so far, where its task mirrors that (on this machine)
        printed = await asyncio.to_thread(view.live_output, dispatch_id, node_id)
        if printed is not None:
            stdout, stderr = printed
    return JSONResponse({"stdout": stdout, "stderr": stderr, "live": live, "status": row.status})


async def node_inputs(request: Request) -> Response:
    """``GET /dispatches/{id}/nodes/{node_id}/inputs``: incoming edges with value previews (JSON)."""
    dispatch_id = request.path_params["dispatch_id"]
    found = await server_view(request).read(_read_node(dispatch_id, _node_id(request)))
    if found is None:
        raise HTTPException(404, f"dispatch {dispatch_id} has no node {request.path_params['node_id']}")
    inputs, total = await _inputs(request, found)
    return JSONResponse({"inputs": inputs, "total": total})


async def nodes_page(request: Request) -> Response:
    """``GET /dispatches/{id}/nodes``: every node in a table (name filter, status filter, pages)."""
    dispatch_id = request.path_params["dispatch_id"]
    query = request.query_params
    search = query.get("search", "").strip()[:256]
    status = query.get("status", "")
    try:
        page_no = max(1, int(query.get("page", "1")))
    except ValueError:
        page_no = 1

    def read(snapshot: Snapshot) -> tuple[DispatchRecord, list[NodeBrief]] | None:
        record = snapshot.dispatch(dispatch_id, with_counts=True)
        return None if record is None else (record, snapshot.nodes(dispatch_id))

    found = await server_view(request).read(read)
    if found is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    record, rows = found
    needle = search.lower()
    chosen = [
        r
        for r in rows
        if (not needle or needle in str(r.name).lower() or needle == str(r.node_id))
        and (not status or r.status == status)
    ]
    pages = max(1, math.ceil(len(chosen) / NODES_PER_PAGE))
    page_no = min(page_no, pages)
    shown = chosen[(page_no - 1) * NODES_PER_PAGE : page_no * NODES_PER_PAGE]
    context = {
        "d": record,
        "rows": shown,
        "total": len(chosen),
        "search": search,
        "status": status,
        "page_no": page_no,
        "pages": pages,
    }
    return page(request, "nodes.html", context)
