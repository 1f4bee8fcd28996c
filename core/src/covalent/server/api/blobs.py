"""Blob endpoints: content-addressed values, functions and results."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from covalent.graph.bundle import write_bundle
from covalent.server.api.common import parse_body, stored_values

__all__ = ["fetch_blobs", "get_blob"]

_KEY = re.compile(r"^[0-9a-f]{64}$")


async def get_blob(request: Request) -> Response:
    """
    summary: One blob's bytes
    responses:
      200: {description: the blob}
      404: {description: no such blob}
      410: {description: a value handed on by reference was lost before it was stored}
      422: {description: not a blob key}
      503: {description: a value handed on by reference is not stored yet}
    """
    key = request.path_params["key"]
    if not _KEY.match(key):
        raise HTTPException(422, "a blob key is 64 lowercase hex digits")
    data = (await stored_values(request, [key]))[0][key]
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
      410: {description: a value handed on by reference was lost before it was stored}
      422: {description: malformed body}
      503: {description: a value handed on by reference is not stored yet}
    """
    from covalent.server.api.schemas import BlobKeys

    body = await parse_body(request, BlobKeys)
    bad = [k for k in body.keys if not _KEY.match(k)]
    if bad:
        raise HTTPException(422, f"not a blob key: {bad[0][:80]!r}")
    blobs, digests = await stored_values(request, body.keys)
    return Response(write_bundle(blobs.items(), digests), media_type="application/octet-stream")
