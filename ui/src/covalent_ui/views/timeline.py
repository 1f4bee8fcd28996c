"""``GET /dispatches/{id}/timeline``: when each task ran, by executor and worker (a Gantt chart).

The page's script draws the chart from the timeline records embedded in the
page and keeps it current from the event stream, reading changed nodes again
from ``GET /api/v1/dispatches/{id}/timeline?nodes=...``.  Without JavaScript
the same records are a table.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from covalent.graph.draw import STATUS_COLOURS
from covalent.server.view import DispatchRecord, NodeTiming, Snapshot
from covalent_ui.context import server_view
from covalent_ui.formatting import TERMINAL, span
from covalent_ui.templating import page
from covalent_ui.views.graph import script_json

__all__ = ["timeline_page"]


def _with_spans(row: dict[str, Any]) -> dict[str, Any]:
    row["queued"] = span(row["submitted_at"], row["start_time"])
    row["ran"] = span(row["start_time"], row["end_time"])
    return row


async def timeline_page(request: Request) -> Response:
    dispatch_id = request.path_params["dispatch_id"]

    def read(snapshot: Snapshot) -> tuple[DispatchRecord, list[NodeTiming]] | None:
        record = snapshot.dispatch(dispatch_id, with_counts=True)
        return None if record is None else (record, snapshot.timeline(dispatch_id))

    found = await server_view(request).read(read)
    if found is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    record, rows = found
    data = {
        "dispatch_id": dispatch_id,
        "status": record.status,
        "terminal": record.status in TERMINAL,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "created_at": record.created_at,
        "now": time.time(),
        "colours": STATUS_COLOURS,
        # as GET /api/v1/dispatches/{id}/timeline has them, with the time queued and running
        "nodes": [_with_spans(row.as_json()) for row in rows],
    }
    context = {"d": record, "rows": rows, "script_json": script_json(data)}
    return page(request, "timeline.html", context)
