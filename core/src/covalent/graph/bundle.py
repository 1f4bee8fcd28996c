"""The blob bundle: many content-addressed blobs in one binary body.

Each record is the 32-byte SHA-256 of the blob, its length as 8 bytes
big-endian, then the blob.  The reader checks every hash.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

__all__ = ["BundleError", "read_bundle", "write_bundle"]

_HEADER = struct.Struct(">32sQ")


class BundleError(ValueError):
    """The bundle is truncated or a blob does not match its hash."""


def write_bundle(blobs: Iterable[tuple[str, bytes]]) -> bytes:
    parts: list[bytes] = []
    for key, data in blobs:
        parts.append(_HEADER.pack(bytes.fromhex(key), len(data)))
        parts.append(data)
    return b"".join(parts)


def iter_bundle(stream: BinaryIO, *, max_blob: int | None = None) -> Iterator[tuple[str, bytes]]:
    while True:
        header = stream.read(_HEADER.size)
        if not header:
            return
        if len(header) != _HEADER.size:
            raise BundleError("blob bundle is truncated (partial record header)")
        digest, size = _HEADER.unpack(header)
        if max_blob is not None and size > max_blob:
            raise BundleError(f"a blob of {size} bytes exceeds the limit of {max_blob} bytes")
        data = stream.read(size)
        if len(data) != size:
            raise BundleError("blob bundle is truncated (partial blob)")
        if hashlib.sha256(data).digest() != digest:
            raise BundleError(f"blob {digest.hex()} does not match its content")
        yield digest.hex(), data


def read_bundle(data: bytes, *, max_blob: int | None = None) -> dict[str, bytes]:
    import io

    return dict(iter_bundle(io.BytesIO(data), max_blob=max_blob))
