"""The route table of ``/api/v1`` and its OpenAPI description."""

from __future__ import annotations

from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from covalent import __version__
from covalent.server.api import blobs, dispatches, nodes, stream, system, triggers

__all__ = ["api_routes"]


class DispatchIdConvertor(StringConvertor):
    """Dispatch ids are UUIDs; anything else matches no route (404), never reaches the database."""

    regex = "[0-9A-Za-z._-]{1,64}"


register_url_convertor("dispatch_id", DispatchIdConvertor())

_INFO = {"openapi": "3.0.3", "info": {"title": "Covalent server API", "version": __version__}}


def _server_routes() -> list[BaseRoute]:
    return [
        Route("/health", system.health, methods=["GET"]),
        Route("/status", system.get_status, methods=["GET"]),
        Route("/plugins", system.get_plugins, methods=["GET"]),
        Route("/settings", system.get_settings, methods=["GET"]),
        Route("/logs", system.get_logs, methods=["GET"]),
        Route("/events", stream.events, methods=["GET"]),
        Route("/triggers", triggers.register_triggers, methods=["POST"]),
        Route("/triggers", triggers.list_triggers, methods=["GET"]),
        Route("/triggers/status", triggers.triggers_status, methods=["GET"]),
        Route("/triggers/stop", triggers.stop_triggers, methods=["POST"]),
        Route("/triggers/{trigger_id:dispatch_id}", triggers.get_trigger, methods=["GET"]),
    ]


def _dispatch_routes() -> list[BaseRoute]:
    return [
        Route("/dispatches", dispatches.register_dispatch, methods=["POST"]),
        Route("/dispatches", dispatches.list_dispatches_route, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}", dispatches.get_dispatch, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}", dispatches.delete_dispatch_route, methods=["DELETE"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/start", dispatches.start_dispatch, methods=["POST"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/cancel", dispatches.cancel_dispatch, methods=["POST"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/redispatch", dispatches.redispatch_dispatch, methods=["POST"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/wait", stream.wait_for_end, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/manifest", dispatches.get_manifest, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/graph", nodes.get_graph, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/nodes", nodes.list_nodes, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/timeline", nodes.get_timeline, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/nodes/{node_id}", nodes.get_node, methods=["GET"]),
        Route("/dispatches/{dispatch_id:dispatch_id}/nodes/{node_id}/output", nodes.get_node_output, methods=["GET"]),
        Route("/blobs/fetch", blobs.fetch_blobs, methods=["POST"]),
        Route("/blobs/{key}", blobs.get_blob, methods=["GET"]),
    ]


def api_routes(*, triggers_only: bool = False) -> list[BaseRoute]:
    """The API; a ``--triggers-only`` server serves no dispatch routes (it holds no dispatches)."""
    routes = _server_routes() + ([] if triggers_only else _dispatch_routes())

    async def openapi(request: Request) -> Response:
        """
        summary: This API's OpenAPI description
        responses:
          200: {description: OpenAPI 3 document}
        """
        from starlette.schemas import SchemaGenerator  # YAML docstrings: parsed only when asked

        schema = SchemaGenerator(_INFO).get_schema(routes=routes)
        schema["servers"] = [{"url": "/api/v1"}]
        return JSONResponse(schema)

    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    return routes
