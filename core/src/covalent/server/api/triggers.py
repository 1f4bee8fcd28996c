"""Trigger endpoints: register, list, read (with the runs they started), stop, status."""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.api.common import parse_body, read_db, server_state
from covalent.server.store.triggers import read_triggers, recent_runs
from covalent.server.triggers import TriggerError, TriggerSpec, public

__all__ = ["get_trigger", "list_triggers", "register_triggers", "specs", "stop_triggers", "triggers_status"]


def specs(models: list[Any]) -> list[TriggerSpec]:
    """The request's trigger models as the service's specs."""
    return [TriggerSpec(m.kind, dict(m.config), m.policy.model_dump()) for m in models]


async def register_triggers(request: Request) -> Response:
    """
    summary: Register triggers for a dispatch (here, or on the dispatcher it names) and observe them
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [dispatch_id, triggers]
            properties:
              dispatch_id: {type: string}
              triggers: {type: array, items: {type: object, description: "{kind, config, policy}"}}
              dispatcher_addr: {type: string, nullable: true}
    responses:
      201: {description: "{triggers: [...]}"}
      404: {description: no such dispatch}
      412: {description: "triggers are disabled on this server (--no-triggers)"}
      422: {description: "a trigger this server cannot observe, or a malformed body"}
    """
    from covalent.server.api.schemas import TriggerRegistration

    began = time.time()
    body = await parse_body(request, TriggerRegistration)
    service = server_state(request).triggers
    try:
        records = await service.register(body.dispatch_id, specs(body.triggers), body.dispatcher_addr, created_at=began)
    except TriggerError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return JSONResponse({"triggers": [public(r) for r in records]}, status_code=201)


async def list_triggers(request: Request) -> Response:
    """
    summary: Triggers (of one dispatch), with their state, failure reason and counts
    parameters:
      - {name: dispatch_id, in: query, schema: {type: string}}
    responses:
      200: {description: "{items: [...]}"}
    """
    dispatch_id = request.query_params.get("dispatch_id") or None
    if dispatch_id is not None and (len(dispatch_id) > 64 or "\x00" in dispatch_id):
        raise HTTPException(422, "dispatch_id is not a dispatch id")
    records = await server_state(request).triggers.list(dispatch_id)
    return JSONResponse({"items": [public(r) for r in records]})


async def get_trigger(request: Request) -> Response:
    """
    summary: One trigger, and the newest runs the triggers of its dispatch started
    responses:
      200: {description: "{trigger, runs, total_runs}"}
      404: {description: no such trigger}
    """
    trigger_id = request.path_params["trigger_id"]

    def read(conn: Any) -> tuple[Any, list[dict[str, Any]], int] | None:
        found = read_triggers(conn, trigger_ids=[trigger_id])
        if not found:
            return None
        runs, total = recent_runs(conn, found[0].dispatch_id)
        return found[0], [r.as_json() for r in runs if r.trigger_id == trigger_id], total

    answer = await read_db(request, read)
    if answer is None:
        raise HTTPException(404, f"no trigger with id {trigger_id}")
    record, runs, total = answer
    return JSONResponse({"trigger": public(record), "runs": runs, "total_runs": total})


async def stop_triggers(request: Request) -> Response:
    """
    summary: Stop triggers (of the given dispatches, or by id); their runs already started go on
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            properties:
              dispatch_ids: {type: array, items: {type: string}}
              trigger_ids: {type: array, items: {type: string}}
    responses:
      200: {description: "{stopped: n}"}
      422: {description: malformed body}
    """
    from covalent.server.api.schemas import StopTriggers

    body = await parse_body(request, StopTriggers)
    if body.dispatch_ids is None and body.trigger_ids is None:
        raise HTTPException(422, "name the triggers to stop: dispatch_ids or trigger_ids")
    stopped = await server_state(request).triggers.stop(dispatch_ids=body.dispatch_ids, trigger_ids=body.trigger_ids)
    return JSONResponse({"stopped": stopped})


async def triggers_status(request: Request) -> Response:
    """
    summary: Whether this server observes triggers (running, or disabled by --no-triggers), and how many
    responses:
      200: {description: "{status, mode, observing, kinds}"}
    """
    return JSONResponse(server_state(request).triggers.status())
