"""The framed dispatch body: a small upload's manifest, options and blob bundle in one binary body.

A small dispatch (the common interactive one) is sent as
:data:`MEDIA_TYPE` instead of ``multipart/form-data``: the magic
:data:`MAGIC`, then three frames in this order -- the manifest (JSON), the
options (JSON) and the blob bundle (:mod:`covalent.graph.bundle`) -- each its
length as 4 bytes big-endian and then its bytes, and nothing after the last.
Encoding it is one join, and reading it is three slices, where the multipart
encoder and parser (boundaries, part headers) cost the client and the server
more than the rest of the upload.

The type is not one of the CORS "simple" types, so a web page cannot send it
without a preflight.  A body is at most :data:`MAX_BYTES`; a large dispatch
goes as multipart, streamed.  The reader only slices what it was given: a
declared length is checked against the bytes that are there before anything
is taken, never allocated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "MAGIC",
    "MAX_BYTES",
    "MEDIA_TYPE",
    "DispatchBody",
    "FrameError",
    "read_dispatch_body",
    "write_dispatch_body",
]

MEDIA_TYPE = "application/vnd.covalent.dispatch"
MAGIC = b"CVD1"
#: The largest framed body (sent and accepted): a larger upload goes as multipart.
MAX_BYTES = 1 << 20

_LENGTH = struct.Struct(">I")
_FRAMES = 3


class FrameError(ValueError):
    """The body is not a framed dispatch body: wrong magic, a truncated frame, bytes after the last."""


@dataclass(frozen=True)
class DispatchBody:
    """The three frames of a framed dispatch body."""

    manifest: bytes
    options: bytes
    blobs: bytes


def write_dispatch_body(manifest: bytes, options: bytes, blobs: bytes) -> bytes:
    """The framed body of these three parts."""
    parts = [MAGIC]
    for frame in (manifest, options, blobs):
        parts.append(_LENGTH.pack(len(frame)))
        parts.append(frame)
    return b"".join(parts)


def read_dispatch_body(data: bytes) -> DispatchBody:
    """The frames of ``data``; :class:`FrameError` if it is not exactly a framed body."""
    view = memoryview(data)
    if view[: len(MAGIC)] != MAGIC:
        raise FrameError(f"the body does not start with {MAGIC!r}")
    at = len(MAGIC)
    frames: list[bytes] = []
    for index in range(_FRAMES):
        if len(view) - at < _LENGTH.size:
            raise FrameError(f"truncated before the length of frame {index}")
        (size,) = _LENGTH.unpack_from(view, at)
        at += _LENGTH.size
        if size > len(view) - at:
            raise FrameError(f"frame {index} declares {size} bytes, {len(view) - at} follow")
        frames.append(bytes(view[at : at + size]))
        at += size
    if at != len(view):
        raise FrameError(f"{len(view) - at} bytes after the last frame")
    return DispatchBody(*frames)
