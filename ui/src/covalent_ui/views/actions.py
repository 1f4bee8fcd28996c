"""Actions the dispatch page's buttons call that the JSON API does not offer: redispatch."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from covalent.server.view import DispatchNotFound, ManifestError
from covalent_ui.context import base_path, server_view

__all__ = ["redispatch"]


async def redispatch(request: Request) -> Response:
    """``POST /dispatches/{id}/redispatch``: the same workflow and inputs, as a new dispatch."""
    dispatch_id = request.path_params["dispatch_id"]
    try:
        new_id = await server_view(request).redispatch(dispatch_id)
    except DispatchNotFound:
        raise HTTPException(404, f"no dispatch with id {dispatch_id}") from None
    except ManifestError as exc:
        raise HTTPException(422, f"cannot run this workflow again: {exc}") from None
    return JSONResponse({"dispatch_id": new_id, "url": f"{base_path(request)}/dispatches/{new_id}"}, status_code=201)
