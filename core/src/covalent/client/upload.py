"""The body of a dispatch upload: small ones in one piece, large ones streamed as they are encoded.

A small dispatch (fewer than :data:`STREAMED_NODES` nodes, at most
:data:`~covalent.graph.dispatch_body.MAX_BYTES`) is one framed body
(:func:`framed_body`, :mod:`covalent.graph.dispatch_body`); a server that does
not take it answers 415 and the multipart parts (:func:`upload_parts`) are sent.

A large graph travels as JSON lines, its nodes and its edges each in a part
of their own beside the manifest (whose graph is then empty), and the blob
bundle in pieces: each part is encoded while it is sent (``httpx`` sends a
body of unknown length chunked), so the client never holds the manifest's
text, a list of every node's JSON or the whole bundle.  The server reads the
lines one at a time (:mod:`covalent.server.api.dispatches`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from covalent.graph import dispatch_body
from covalent.graph.bundle import bundle_chunks, write_bundle
from covalent.graph.manifest import Manifest

__all__ = ["STREAMED_NODES", "ChunkReader", "framed_body", "upload_parts"]

#: Graphs of this many nodes and more are sent as streamed JSON lines.
STREAMED_NODES = 5000


class ChunkReader:
    """A read-only file over an iterator of byte strings (what ``httpx`` reads a multipart file from)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer = self._buffer + chunk if self._buffer else chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _small_parts(manifest: Manifest, options: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    """A small upload's manifest, options and blob bundle, encoded whole (multipart or framed)."""
    return json.dumps(manifest.to_json()).encode(), json.dumps(options).encode(), write_bundle(manifest.blobs.items())


def upload_parts(manifest: Manifest, options: dict[str, Any]) -> list[tuple[str, tuple[str, Any, str]]]:
    """The multipart parts of ``POST /dispatches`` for ``manifest``."""
    if len(manifest.graph) < STREAMED_NODES:
        encoded_manifest, encoded_options, bundle = _small_parts(manifest, options)
        return [
            ("manifest", ("manifest.json", encoded_manifest, "application/json")),
            ("options", ("options.json", encoded_options, "application/json")),
            ("blobs", ("blobs.bin", bundle, "application/octet-stream")),
        ]
    encoded_options = json.dumps(options).encode()
    return [
        ("manifest", ("manifest.json", json.dumps(manifest.head()).encode(), "application/json")),
        ("options", ("options.json", encoded_options, "application/json")),
        ("nodes", ("nodes.jsonl", ChunkReader(manifest.node_lines()), "application/x-ndjson")),
        ("edges", ("edges.jsonl", ChunkReader(manifest.edge_lines()), "application/x-ndjson")),
        ("blobs", ("blobs.bin", ChunkReader(bundle_chunks(manifest.blobs.items())), "application/octet-stream")),
    ]


def framed_body(manifest: Manifest, options: dict[str, Any]) -> bytes | None:
    """The framed body (:data:`~covalent.graph.dispatch_body.MEDIA_TYPE`) of a small upload; None for a large one."""
    if len(manifest.graph) >= STREAMED_NODES or sum(map(len, manifest.blobs.values())) > dispatch_body.MAX_BYTES:
        return None
    body = dispatch_body.write_dispatch_body(*_small_parts(manifest, options))
    return body if len(body) <= dispatch_body.MAX_BYTES else None
