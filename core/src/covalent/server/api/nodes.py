"""Node endpoints: every node's state, one node's details, output and graph."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.api.common import read_db, server_state, stored_values
from covalent.server.store.blobs import shown
from covalent.server.store.records import read_dispatch, read_node, read_nodes, read_timeline
from covalent.status import Status

__all__ = ["get_graph", "get_node", "get_node_output", "get_timeline", "list_nodes"]


def _node_id(request: Request) -> int:
    try:
        node_id = int(request.path_params["node_id"])
    except ValueError:
        raise HTTPException(422, "node_id must be an integer") from None
    if not 0 <= node_id < 2**31:
        raise HTTPException(422, "node_id is out of range")
    return node_id


async def list_nodes(request: Request) -> Response:
    """
    summary: Every node of a dispatch with status, times, stdout, stderr and error
    responses:
      200: {description: "{nodes: [...]}"}
      404: {description: no such dispatch}
    """
    dispatch_id = request.path_params["dispatch_id"]
    brief = request.query_params.get("brief") in ("1", "true")

    def read(conn: Any) -> list[dict[str, Any]] | None:
        if read_dispatch(conn, dispatch_id) is None:
            return None
        rows = read_nodes(conn, dispatch_id, brief=True) if brief else read_nodes(conn, dispatch_id)
        return [row.as_json() for row in rows]

    rows = await read_db(request, read)
    if rows is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return JSONResponse({"nodes": rows})


async def get_node(request: Request) -> Response:
    """
    summary: One node's details (executor, status, times, stdout, stderr, traceback, output preview)
    responses:
      200: {description: the node}
      404: {description: no such dispatch or node}
    """
    dispatch_id = request.path_params["dispatch_id"]
    node_id = _node_id(request)
    store = server_state(request).blobs
    wanted = request.query_params.get("preview") != "0"

    def read(conn: Any) -> dict[str, Any] | None:
        record = read_node(conn, dispatch_id, node_id)
        if record is None:
            return None
        row = record.as_json()
        if wanted and record.output_key and record.status == Status.COMPLETED:
            # The preview made where the value was: the server never unpickles it.
            found = store.previews(conn, [record.output_key]).get(record.output_key)
            row["output_preview"] = shown(found)
            row["output_size"] = found[0] if found else None
        return row

    row = await read_db(request, read)
    if row is None:
        raise HTTPException(404, f"dispatch {dispatch_id} has no node {node_id}")
    return JSONResponse(row)


async def get_node_output(request: Request) -> Response:
    """
    summary: A node's output, pickled (application/octet-stream)
    responses:
      200: {description: pickled value}
      404: {description: "no such node, or no output yet"}
      410: {description: the output was handed on by reference and lost before it was stored}
      503: {description: the output was handed on by reference and is not stored yet}
    """
    dispatch_id = request.path_params["dispatch_id"]
    node_id = _node_id(request)
    row = await read_db(request, lambda conn: read_node(conn, dispatch_id, node_id))
    if row is None or not row.output_key:
        raise HTTPException(404, f"node {node_id} of dispatch {dispatch_id} has no output")
    key = row.output_key
    data = (await stored_values(request, [key]))[0][key]
    return Response(data, media_type="application/octet-stream")


async def get_graph(request: Request) -> Response:
    """
    summary: The transport graph with each node's current status
    responses:
      200: {description: "{nodes, edges}"}
      404: {description: no such dispatch}
    """
    dispatch_id = request.path_params["dispatch_id"]

    def read(conn: Any) -> dict[str, Any] | None:
        record = read_dispatch(conn, dispatch_id, with_manifest=True)
        if record is None or record.manifest is None:
            return None
        rows = {r.node_id: r for r in read_nodes(conn, dispatch_id, brief=True)}
        graph: dict[str, Any] = record.manifest["graph"]
        for node in graph["nodes"]:
            row = rows.get(node["id"])
            node["status"] = row.status if row else None
            node["start_time"] = row.start_time if row else None
            node["end_time"] = row.end_time if row else None
            node["sublattice_dispatch_id"] = row.sublattice_dispatch_id if row else None
        return graph

    graph = await read_db(request, read)
    if graph is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return JSONResponse(graph)


async def get_timeline(request: Request) -> Response:
    """
    summary: When, where and how often each task node ran (a Gantt chart's data)
    description: >
      One record per task node: `executor`, `worker` (host:pid of the process it ran in),
      `submitted_at` (its job handed to the executor), `start_time` and `end_time` (where
      it ran; before its outcome arrives `start_time` is the submission), `attempts`,
      `history` (each earlier attempt of a retried node: times, worker, error) and
      `transfers` (file transfers with their times). `nodes=1,2` limits it to those nodes.
    parameters:
      - {name: nodes, in: query, schema: {type: string}}
    responses:
      200: {description: "{dispatch_id, status, started_at, ended_at, nodes: [...]}"}
      404: {description: no such dispatch}
      422: {description: bad node list}
    """
    dispatch_id = request.path_params["dispatch_id"]
    raw = request.query_params.get("nodes")
    wanted: list[int] | None = None
    if raw:
        try:
            wanted = [int(part) for part in raw.split(",") if part.strip()][:10_000]
        except ValueError:
            raise HTTPException(422, "nodes must be node ids separated by commas") from None

    def read(conn: Any) -> dict[str, Any] | None:
        record = read_dispatch(conn, dispatch_id)
        if record is None:
            return None
        return {
            "dispatch_id": dispatch_id,
            "status": record.status,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "nodes": [row.as_json() for row in read_timeline(conn, dispatch_id, wanted)],
        }

    data = await read_db(request, read)
    if data is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return JSONResponse(data)
