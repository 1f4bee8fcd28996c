"""Dispatch endpoints: register, start, list, read, cancel, delete."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from covalent.graph import dispatch_body
from covalent.graph.bundle import BundleError, read_bundle
from covalent.graph.manifest_schema import ManifestError, parse_manifest
from covalent.limits import LIMITS, Limits
from covalent.server.api.common import committed, parse_body, parse_query, read_db, server_state
from covalent.server.registration import GraphLines, prepare_dispatch
from covalent.server.store.events import DispatchDeleted, Event
from covalent.server.store.models import DispatchRecord
from covalent.server.store.records import (
    count_nodes,
    delete_dispatch,
    insert_dispatch,
    insert_node_rows,
    list_dispatches,
    read_dispatch,
    reusable_outputs,
)
from covalent.server.store.triggers import insert_triggers
from covalent.server.store.writer import together
from covalent.status import Status

__all__ = [
    "cancel_dispatch",
    "delete_dispatch_route",
    "get_dispatch",
    "get_manifest",
    "list_dispatches_route",
    "redispatch_dispatch",
    "register_dispatch",
    "rows_written_after",
    "start_dispatch",
]

log = logging.getLogger(__name__)

_MAX_PARTS = 8


async def _part(form: Any, name: str, *, required: bool = True) -> bytes | None:
    item = form.get(name)
    if item is None:
        if required:
            raise HTTPException(422, f"multipart field {name!r} is required")
        return None
    if isinstance(item, UploadFile):
        return await item.read()
    return str(item).encode()


async def register_dispatch(request: Request) -> Response:
    """
    summary: Register a dispatch (manifest and blobs in one multipart upload or framed body), and start it
    requestBody:
      required: true
      content:
        application/vnd.covalent.dispatch:
          schema:
            type: string
            format: binary
            description: >
              CVD1, then the manifest, options and blob bundle, each a 4-byte big-endian length
              and its bytes (at most 1 MiB in all)
        multipart/form-data:
          schema:
            type: object
            required: [manifest, blobs]
            properties:
              manifest: {type: string, format: binary, description: "manifest JSON"}
              blobs: {type: string, format: binary, description: "blob bundle"}
              options: {type: string, format: binary, description: "{start, reuse_from, linger, ...} JSON"}
    responses:
      201: {description: "{dispatch_id}, and its end (status, summary, output) if it ended within linger"}
      400: {description: malformed body}
      413: {description: request too large}
      415: {description: "neither multipart/form-data nor application/vnd.covalent.dispatch"}
      422: {description: "the manifest, bundle or options are not acceptable"}
    """
    began = time.time()  # a time trigger registered with the dispatch counts from here
    state = server_state(request)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() == dispatch_body.MEDIA_TYPE:
        framed = await _framed_body(request)
        if framed is None:
            return Response(status_code=400)  # nobody to answer; nothing was registered
        parts = _Parts(framed.manifest, framed.blobs, framed.options or None, None)
        return await _register(request, state, parts, began)
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(415, f"send the manifest and blobs as multipart/form-data or {dispatch_body.MEDIA_TYPE}")
    try:
        form = await request.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS)
    except HTTPException:
        raise
    except ClientDisconnect:
        return Response(status_code=400)  # nobody to answer; nothing was registered
    except Exception as exc:  # malformed multipart body
        raise HTTPException(400, f"malformed multipart body: {exc}") from None
    try:  # a graph sent as lines is read from its parts' files while it is checked: closed after that
        parts = _Parts(
            await _part(form, "manifest"),
            await _part(form, "blobs", required=False) or b"",
            await _part(form, "options", required=False),
            _graph_lines(form),
        )
        return await _register(request, state, parts, began)
    finally:
        await form.close()


@dataclass(frozen=True)
class _Parts:
    """What an upload sent: the manifest, the blob bundle, the options, and its graph's lines if apart."""

    manifest: bytes | None
    blobs: bytes
    options: bytes | None
    graph_lines: GraphLines | None


async def _framed_body(request: Request) -> dispatch_body.DispatchBody | None:
    """A framed body's frames (400 if malformed, 413 over its limit); None if the client went away.

    Read chunk by chunk up to :data:`~covalent.graph.dispatch_body.MAX_BYTES`: a larger
    body (declared or sent) is refused before more of it is kept.
    """
    limit = dispatch_body.MAX_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"a {dispatch_body.MEDIA_TYPE} body is at most {limit} bytes; send multipart")
    data = bytearray()
    try:
        async for chunk in request.stream():
            if len(data) + len(chunk) > limit:
                raise HTTPException(413, f"a {dispatch_body.MEDIA_TYPE} body is at most {limit} bytes; send multipart")
            data += chunk
    except ClientDisconnect:
        return None
    try:
        return dispatch_body.read_dispatch_body(bytes(data))
    except dispatch_body.FrameError as exc:
        raise HTTPException(400, f"malformed {dispatch_body.MEDIA_TYPE} body: {exc}") from None


def _graph_lines(form: Any) -> GraphLines | None:
    """The graph's ``nodes`` and ``edges`` parts (JSON lines), if the upload sends its graph apart."""
    nodes, edges = form.get("nodes"), form.get("edges")
    if nodes is None and edges is None:
        return None
    if not isinstance(nodes, UploadFile) or not isinstance(edges, UploadFile):
        raise HTTPException(422, "multipart fields 'nodes' and 'edges' are sent together, as files (JSON lines)")
    return GraphLines(nodes.file, edges.file)


async def _register(request: Request, state: Any, parts: _Parts, began: float) -> Response:
    raw_manifest, raw_blobs, raw_options, graph_lines = parts.manifest, parts.blobs, parts.options, parts.graph_lines
    try:
        manifest_text = (raw_manifest or b"").decode()
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"manifest is not UTF-8 text: {exc}") from None
    try:
        manifest = parse_manifest(manifest_text)
    except ManifestError as exc:
        raise HTTPException(422, str(exc)) from None
    from pydantic import ValidationError

    from covalent.server.api.schemas import DispatchOptions

    try:
        options = DispatchOptions.model_validate_json(raw_options) if raw_options else DispatchOptions()
    except ValidationError as exc:
        raise HTTPException(422, f"options are not valid: {exc.errors()[0]['msg']}") from None
    limit = Limits.from_settings(state.settings).max_request_bytes
    # A small upload (the common interactive dispatch) is checked right here: a
    # thread hop would cost more than the work, and it needs no database read
    # unless it names blobs it did not upload.
    small = (
        len(raw_blobs) + len(manifest_text) <= LIMITS.small_upload_bytes
        and not options.reuse_from
        and graph_lines is None
    )
    try:
        blobs = (
            read_bundle(raw_blobs, max_blob=limit)
            if small
            else await asyncio.to_thread(read_bundle, raw_blobs, max_blob=limit)
        )
    except BundleError as exc:
        raise HTTPException(422, f"blob bundle rejected: {exc}") from None

    def prepare(conn: Any) -> Any:
        reuse = None
        if options.reuse_from:
            if read_dispatch(conn, options.reuse_from) is None:
                raise HTTPException(404, f"no dispatch {options.reuse_from} to reuse results from")
            reuse = reusable_outputs(conn, options.reuse_from)
        return prepare_dispatch(
            conn,
            state.blobs,
            manifest,
            blobs,
            reuse=reuse,
            reuse_from=options.reuse_from,
            manifest_text=manifest_text if graph_lines is None else None,
            check_executors=options.unknown_executors == "reject",
            graph_lines=graph_lines,
        )

    triggers = _trigger_specs(state, options)
    try:
        new = prepare(None) if small else await read_db(request, prepare)
    except ManifestError as exc:
        raise HTTPException(422, str(exc)) from None
    start = options.start and not triggers  # a dispatch with triggers runs when they fire
    if start:
        new.starting()
    rows_after = rows_written_after(len(new.node_rows), streamed=graph_lines is not None, linger=options.linger)
    operation = insert_dispatch(state.blobs, new, with_rows=not rows_after)
    observations = await _open_triggers(state, new.dispatch_id, triggers, began)
    if observations:
        operation = together(operation, insert_triggers([o.record for o in observations]))
    try:
        await committed(request, state.writer.write(operation, small=small), rows=len(new.node_rows))
    except BaseException:
        await state.triggers.discard(observations)
        raise
    if rows_after:
        return _rows_after(state, new, start, observations)
    # Subscribed before the run starts: its end cannot be published before this listens.
    listening = state.events.open(new.dispatch_id) if start and options.linger else None
    try:
        if start:
            uploaded = blobs if small else None  # its first payloads read them from memory
            await state.dispatcher.start(new.dispatch_id, loaded=(new.record(), new.rows()), uploaded=uploaded)
        state.triggers.begin(observations)
        answer: dict[str, Any] = {"dispatch_id": new.dispatch_id}
        end = await listening.end_of(new.dispatch_id, options.linger) if listening is not None else None
    finally:
        if listening is not None:
            listening.close()
    if end is not None:  # it ended within the linger: what get_result needs, so it asks nothing more
        answer.update(_end_fields(end.event))
    return JSONResponse(answer, status_code=201)


def rows_written_after(nodes: int, *, streamed: bool, linger: float | None) -> bool:
    """Whether a dispatch is answered (and its run started) once it is recorded, its node rows written after.

    A large graph's rows take a while to write (some 0.1 s for a map of 1,000
    tasks, 2,000 nodes): its first tasks need not wait for them.  A dispatch
    whose answer waits for its end (``linger``) is a small one, written whole.
    """
    return (streamed or nodes >= LIMITS.rows_after_nodes) and not linger


def _rows_after(state: Any, new: Any, start: bool, observations: list[Any]) -> Response:
    """Answer a recorded dispatch at once; its node rows are written, and its run started, after.

    Its rows are queued now, so the run's own writes (queued when it starts,
    after the answer) come after them; while they are written it is listed,
    read (without nodes yet) and, once its run is started, cancelled as any
    other.  A server stopped before they are committed writes them from the
    stored manifest when it starts again (``registration.write_missing_rows``).
    """
    written = state.writer.write(insert_node_rows(new.dispatch_id, new.node_rows))
    written.add_done_callback(partial(_rows_written, new.dispatch_id))
    state.triggers.begin(observations)
    answer = JSONResponse({"dispatch_id": new.dispatch_id}, status_code=201)
    if start:
        answer.background = BackgroundTask(_start_run, state, new.dispatch_id, (new.record(), new.rows()))
    return answer


def _rows_written(dispatch_id: str, future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("the node rows of dispatch %s were not written: %s", dispatch_id, future.exception())


async def _start_run(state: Any, dispatch_id: str, loaded: Any) -> None:
    # The answer's bytes go out when this step of the event loop ends (server.connections): a run's
    # start takes a while for a big graph, so it starts in the next step, after the answer is sent.
    await asyncio.sleep(0)
    try:
        await state.dispatcher.start(dispatch_id, loaded=loaded)
    except Exception:
        log.exception("dispatch %s could not be started", dispatch_id)


def _end_fields(end: Event) -> dict[str, Any]:
    """What an answer carries of a dispatch's final event: its status, summary and small output (those it has)."""
    data = end.as_json()
    return {k: data[k] for k in ("status", "summary", "output") if k in data}


async def _open_triggers(state: Any, dispatch_id: str, triggers: list[Any], began: float) -> list[Any]:
    """Start observing the upload's triggers before anything is stored (a folder that is not there: 422)."""
    if not triggers:
        return []
    from covalent.server.triggers import TriggerError

    try:
        return list(await state.triggers.open(state.triggers.records(dispatch_id, triggers, None, began)))
    except TriggerError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def _trigger_specs(state: Any, options: Any) -> list[Any]:
    """The upload's triggers, checked before anything is stored (412 with --no-triggers, 422 if unknown)."""
    if not options.triggers:
        return []
    from covalent.server.api.triggers import specs
    from covalent.server.triggers import TriggerError

    found = specs(options.triggers)
    try:
        state.triggers.check(found)
    except TriggerError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return found


async def _summary_or_404(request: Request, dispatch_id: str) -> DispatchRecord:
    def read(conn: Any) -> DispatchRecord | None:
        record = read_dispatch(conn, dispatch_id)
        if record is not None:
            record = replace(record, node_counts=count_nodes(conn, [dispatch_id])[dispatch_id])
        return record

    record = await read_db(request, read)
    if record is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return record


async def get_dispatch(request: Request) -> Response:
    """
    summary: A dispatch's status, times, result key, error and node counts
    responses:
      200: {description: the dispatch}
      404: {description: no such dispatch}
    """
    return JSONResponse((await _summary_or_404(request, request.path_params["dispatch_id"])).as_json())


async def start_dispatch(request: Request) -> Response:
    """
    summary: Start a dispatch registered with start=false
    responses:
      202: {description: started}
      404: {description: no such dispatch}
      409: {description: the dispatch has already ended}
    """
    dispatch_id = request.path_params["dispatch_id"]
    await _summary_or_404(request, dispatch_id)
    if not await server_state(request).dispatcher.start(dispatch_id):
        raise HTTPException(409, f"dispatch {dispatch_id} has already ended")
    return JSONResponse({"dispatch_id": dispatch_id, "status": Status.RUNNING}, status_code=202)


async def cancel_dispatch(request: Request) -> Response:
    """
    summary: Cancel a dispatch, or only some of its task nodes
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              task_ids: {type: array, items: {type: integer}, nullable: true}
    responses:
      200: {description: what was cancelled}
      404: {description: no such dispatch}
      422: {description: malformed body}
    """
    dispatch_id = request.path_params["dispatch_id"]
    from covalent.server.api.schemas import CancelRequest

    body = await parse_body(request, CancelRequest, optional=True)
    record = await _summary_or_404(request, dispatch_id)
    cancelled = server_state(request).dispatcher.cancel(dispatch_id, body.task_ids)
    if cancelled is None:
        return JSONResponse(
            {
                "dispatch_id": dispatch_id,
                "cancelled": [],
                "message": f"dispatch is not running (status {record.status})",
            }
        )
    return JSONResponse(
        {
            "dispatch_id": dispatch_id,
            "cancelled": cancelled,
            "message": f"cancel requested for {len(cancelled)} node(s)",
        }
    )


async def delete_dispatch_route(request: Request) -> Response:
    """
    summary: Delete an ended dispatch and its sublattice dispatches
    responses:
      200: {description: deleted ids}
      404: {description: no such dispatch}
      409: {description: the dispatch is still running}
    """
    dispatch_id = request.path_params["dispatch_id"]
    state = server_state(request)
    await _summary_or_404(request, dispatch_id)
    if dispatch_id in state.dispatcher.runs:
        raise HTTPException(409, "cancel the dispatch before deleting it")
    deleted: list[str] = []

    def op(conn: Any) -> list[Event]:
        deleted.extend(delete_dispatch(conn, dispatch_id))
        return [DispatchDeleted(dispatch_id)]

    await committed(request, state.writer.write(op))
    await state.triggers.forget(deleted)
    return JSONResponse({"deleted": deleted})


async def list_dispatches_route(request: Request) -> Response:
    """
    summary: List dispatches (filter by status, name and creation time, search by name or id, sort, paginate)
    description: >
      `search` matches part of the name or id, `name` the whole name; `created_after` and
      `created_before` (UNIX seconds) bound the creation time; `sort=duration` orders by
      how long each ran (a running one until now; those never started come last).
    parameters:
      - {name: status, in: query, schema: {type: array, items: {type: string}}}
      - {name: search, in: query, schema: {type: string}}
      - {name: name, in: query, schema: {type: string}}
      - {name: created_after, in: query, schema: {type: number}}
      - {name: created_before, in: query, schema: {type: number}}
      - {name: sort, in: query, schema: {type: string, enum: [created, started, ended, name, status, duration]}}
      - {name: order, in: query, schema: {type: string, enum: [asc, desc]}}
      - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
      - {name: offset, in: query, schema: {type: integer, minimum: 0}}
    responses:
      200: {description: "{items, total}"}
      422: {description: bad query}
    """
    from covalent.server.api.schemas import DispatchListQuery

    query = parse_query(request, DispatchListQuery)
    items, total = await read_db(request, lambda conn: list_dispatches(conn, **query.model_dump()))
    found = [item.as_json() for item in items]
    return JSONResponse({"items": found, "total": total, "limit": query.limit, "offset": query.offset})


async def get_manifest(request: Request) -> Response:
    """
    summary: The dispatch's manifest (graph, lattice metadata, blob references)
    responses:
      200: {description: manifest JSON}
      404: {description: no such dispatch}
    """
    dispatch_id = request.path_params["dispatch_id"]
    record = await read_db(request, lambda conn: read_dispatch(conn, dispatch_id, with_manifest=True))
    if record is None:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}")
    return JSONResponse(record.manifest)


async def redispatch_dispatch(request: Request) -> Response:
    """
    summary: Run a stored dispatch again with the same inputs (optionally reusing its results)
    description: >
      `reuse_previous_results` goes in the body or in the query (the SDK's way: a
      request without a body is sent in one write).
    parameters:
      - {name: reuse_previous_results, in: query, schema: {type: boolean}}
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              reuse_previous_results: {type: boolean}
    responses:
      201:
        description: >
          The new dispatch: {dispatch_id, status}. When every node took a previous
          output it has already completed, and the answer also carries its
          `summary` and (when small) its base64 `output`.
      404: {description: no such dispatch}
      422: {description: "malformed body, or the workflow cannot run here any more"}
    """
    from covalent.server.api.schemas import RedispatchRequest
    from covalent.server.redispatch import DispatchNotFound, redispatch

    dispatch_id = request.path_params["dispatch_id"]
    body = await parse_body(request, RedispatchRequest, optional=True)
    reuse = _flag(request, "reuse_previous_results", body.reuse_previous_results)
    try:
        new = await redispatch(server_state(request), dispatch_id, reuse_previous_results=reuse)
    except DispatchNotFound:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}") from None
    except ManifestError as exc:
        raise HTTPException(422, f"cannot run this workflow again: {exc}") from None
    answer: dict[str, Any] = {"dispatch_id": new.dispatch_id, "status": Status.RUNNING}
    if new.final is not None:  # ended at once: what get_result needs, so it asks nothing more
        answer.update(_end_fields(new.final))
    return JSONResponse(answer, status_code=201)


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _flag(request: Request, name: str, from_body: bool) -> bool:
    """A boolean option given in the query (``true``/``false``, ``1``/``0``) or else in the body."""
    raw = request.query_params.get(name)
    if raw is None:
        return from_body
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise HTTPException(422, f"{name} must be true or false, not {raw[:40]!r}")
    return value
