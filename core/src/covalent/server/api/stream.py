"""The server-sent-events stream of status changes, and waiting for one dispatch's end."""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.api.common import read_db, server_state
from covalent.server.store.blobs import small_blob
from covalent.server.store.events import DispatchEvent, DispatchSummary, encode_output
from covalent.server.store.records import count_nodes, read_dispatch
from covalent.status import TERMINAL, Status

__all__ = ["MAX_WAIT_SECONDS", "events", "wait_for_end"]

_DISPATCH_ID = re.compile(r"[0-9A-Za-z._-]{1,64}")
#: The longest a ``/wait`` request is held open (the client asks again after it).
MAX_WAIT_SECONDS = 60.0


async def _snapshot(request: Request, dispatch_id: str) -> DispatchEvent | None:
    """The dispatch's current state as a stream's first event (None: no such dispatch).

    An ended dispatch's carries its summary and small output, like the live
    final event: what a waiting client needs, so it reads no more.
    """

    def read(conn: Any) -> DispatchEvent | None:
        record = read_dispatch(conn, dispatch_id)
        if record is None:
            return None
        counts = count_nodes(conn, [dispatch_id])[dispatch_id]
        summary = output = None
        if record.status in TERMINAL:
            summary = DispatchSummary.of(record, counts)
            output = encode_output(small_blob(conn, record.output_key) if record.output_key else None)
        return DispatchEvent(
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
    return server_state(request).dispatcher.snapshot(dispatch_id) or await read_db(request, read)


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
    snapshot: DispatchEvent | None = None
    if dispatch_id:
        snapshot = await _snapshot(request, dispatch_id)
        if snapshot is None:
            subscription.close()
            raise HTTPException(404, f"no dispatch with id {dispatch_id}")

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            if snapshot is not None:
                yield {"data": json.dumps(snapshot.as_json())}
            async for published in subscription:
                data = published.as_json()
                yield {"event": data["kind"], "data": json.dumps(data), "id": str(published.id)}
        finally:
            subscription.close()

    from sse_starlette.sse import EventSourceResponse

    return EventSourceResponse(stream(), ping=15)


def _wait_seconds(request: Request) -> float:
    raw = request.query_params.get("timeout", "30")
    try:
        seconds = float(raw)
    except ValueError:
        raise HTTPException(422, f"timeout must be a number of seconds, not {raw[:40]!r}") from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise HTTPException(422, f"timeout must be between 0 and {MAX_WAIT_SECONDS:g} seconds")
    return seconds


async def wait_for_end(request: Request) -> Response:
    """
    summary: Wait for a dispatch to end (at most `timeout` seconds)
    description: >
      Answers the dispatch's final event (status, `summary` as `GET /dispatches/{id}`
      answers it, and a small `output` in base64) as soon as its end is committed,
      or its current status once `timeout` has passed (ask again then). One plain
      JSON answer: what a client that waits for the result needs, without an event
      stream to set up and tear down.
    parameters:
      - {name: timeout, in: query, schema: {type: number, minimum: 0, maximum: 60}}
    responses:
      200: {description: "the final event, or the current status: {kind, dispatch_id, status, completed, total}"}
      404: {description: no such dispatch}
      422: {description: bad timeout}
    """
    dispatch_id = request.path_params["dispatch_id"]
    seconds = _wait_seconds(request)
    subscription = server_state(request).events.open(dispatch_id)  # before the snapshot: no end is missed
    try:
        snapshot = await _snapshot(request, dispatch_id)
        if snapshot is None:
            raise HTTPException(404, f"no dispatch with id {dispatch_id}")
        if snapshot.status in TERMINAL:
            return JSONResponse(snapshot.as_json())
        end = await subscription.end_of(dispatch_id, seconds)
        if end is not None:
            return JSONResponse(end.as_json())
        return JSONResponse(snapshot.as_json())
    finally:
        subscription.close()
