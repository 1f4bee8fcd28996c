"""Blob endpoints: content-addressed values, functions and results."""

from __future__ import annotations

import asyncio
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from covalent.graph.bundle import write_bundle
from covalent.server.api.common import parse_body, server_state
from covalent.server.store.blobs import BlobNotFoundError

__all__ = ["fetch_blobs", "get_blob"]

_KEY = re.compile(r"^[0-9a-f]{64}$")


async def get_blob(request: Request) -> Response:
    """
    summary: One blob's bytes
    responses:
      200: {description: the blob}
      404: {description: no such blob}
      422: {description: not a blob key}
    """
    key = request.path_params["key"]
    if not _KEY.match(key):
        raise HTTPException(422, "a blob key is 64 lowercase hex digits")
    try:
        data = await asyncio.to_thread(server_state(request).blobs.get, key)
    except BlobNotFoundError:
        raise HTTPException(404, f"no blob {key}") from None
    return Response(data, media_type="application/octet-stream")


async def fetch_blobs(request: Request) -> Response:
    """
    summary: Many blobs in one blob bundle
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [keys]
            properties:
              keys: {type: array, items: {type: string, pattern: "^[0-9a-f]{64}$"}}
    responses:
      200: {description: blob bundle (application/octet-stream)}
      404: {description: a blob does not exist}
      422: {description: malformed body}
    """
    from covalent.server.api.schemas import BlobKeys

    body = await parse_body(request, BlobKeys)
    bad = [k for k in body.keys if not _KEY.match(k)]
    if bad:
        raise HTTPException(422, f"not a blob key: {bad[0][:80]!r}")
    try:
        blobs = await asyncio.to_thread(server_state(request).blobs.get_many, body.keys)
    except BlobNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(write_bundle(blobs.items()), media_type="application/octet-stream")
