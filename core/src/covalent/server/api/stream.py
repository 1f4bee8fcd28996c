"""The server-sent-events stream of status changes."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from covalent.server.api.common import read_db, server_state
from covalent.server.events import dispatch_event, dispatch_summary, encode_output
from covalent.server.store.blobs import small_blob
from covalent.server.store.records import count_nodes, read_dispatch
from covalent.status import TERMINAL, Status

__all__ = ["events"]

_DISPATCH_ID = re.compile(r"[0-9A-Za-z._-]{1,64}")


async def events(request: Request) -> Response:
    """
    summary: Server-sent events of dispatch and node status changes
    description: >
      With `dispatch_id`, the stream starts with the dispatch's current state and
      carries its (and its sublattices') changes; without, every change on the server.
      Events are sent only after the change is committed to the database.
    parameters:
      - {name: dispatch_id, in: query, schema: {type: string}}
    responses:
      200: {description: text/event-stream}
      404: {description: no such dispatch}
    """
    state = server_state(request)
    dispatch_id = request.query_params.get("dispatch_id") or None
    if dispatch_id is not None and not _DISPATCH_ID.fullmatch(dispatch_id):
        raise HTTPException(404, "no dispatch with that id")
    subscription = state.events.open(dispatch_id)
    snapshot: dict[str, Any] | None = None
    if dispatch_id:

        def read(conn: Any) -> dict[str, Any] | None:
            record = read_dispatch(conn, dispatch_id)
            if record is None:
                return None
            counts = count_nodes(conn, [dispatch_id])[dispatch_id]
            summary = output = None
            if record.status in TERMINAL:
                # Like the live final event: what a waiting client needs, so it reads no more.
                summary = dispatch_summary(record.as_json(), counts)
                output = encode_output(small_blob(conn, record.output_key) if record.output_key else None)
            return dispatch_event(
                dispatch_id,
                record.root_dispatch_id,
                record.status,
                counts.get(Status.COMPLETED, 0),
                sum(counts.values()),
                summary=summary,
                output=output,
                snapshot=True,
            )

        # A running dispatch answers from memory: no thread hop or read while it runs.
        snapshot = state.dispatcher.snapshot(dispatch_id) or await read_db(request, read)
        if snapshot is None:
            subscription.close()
            raise HTTPException(404, f"no dispatch with id {dispatch_id}")

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            if snapshot is not None:
                yield {"data": json.dumps(snapshot)}
            async for event in subscription:
                yield {"event": event.get("kind", "message"), "data": json.dumps(event), "id": str(event["id"])}
        finally:
            subscription.close()

    from sse_starlette.sse import EventSourceResponse

    return EventSourceResponse(stream(), ping=15)
