"""The blob bundle: many content-addressed blobs in one binary body.

Each record is the 32-byte SHA-256 of the blob, its length as 8 bytes
big-endian, then the blob.  The reader checks every hash.  A blob whose key
is not its hash (a value that was handed on by reference, named before it was
hashed) has the top bit of its length set and its 32-byte digest after the
length (:mod:`covalent.runtime.digests`): BLAKE3 when the next bit is set too,
else SHA-256.  The reader checks that one and gives the blob under its key.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator, Mapping
from typing import BinaryIO

from covalent.runtime.digests import BLAKE3, SHA256, Digest

__all__ = ["BundleError", "bundle_chunks", "read_bundle", "write_bundle"]

_HEADER = struct.Struct(">32sQ")
_ALIASED = 1 << 63
_BLAKE3 = 1 << 62  # with _ALIASED: the digest is BLAKE3
_FLAGS = _ALIASED | _BLAKE3


class BundleError(ValueError):
    """The bundle is truncated or a blob does not match its hash."""


def write_bundle(blobs: Iterable[tuple[str, bytes]], digests: Mapping[str, str] | None = None) -> bytes:
    """``digests``: the digest text (:mod:`covalent.runtime.digests`) of each blob whose key is not its hash."""
    return b"".join(bundle_chunks(blobs, digests, chunk_bytes=None))


def bundle_chunks(
    blobs: Iterable[tuple[str, bytes]], digests: Mapping[str, str] | None = None, *, chunk_bytes: int | None = 1 << 20
) -> Iterator[bytes]:
    """The bundle in pieces of about ``chunk_bytes`` (None: record by record), made as they are read."""
    parts: list[bytes] = []
    size = 0
    for key, data in blobs:
        digest = digests.get(key) if digests else None
        if digest is None:
            parts.append(_HEADER.pack(bytes.fromhex(key), len(data)))
        else:
            parsed = Digest.parse(digest)
            flags = _ALIASED | (_BLAKE3 if parsed.algorithm == BLAKE3 else 0)
            parts.append(_HEADER.pack(bytes.fromhex(key), len(data) | flags) + parsed.value)
        parts.append(data)
        size += len(data) + _HEADER.size
        if chunk_bytes is None:
            yield from parts
            parts = []
        elif size >= chunk_bytes:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)


def iter_bundle(stream: BinaryIO, *, max_blob: int | None = None, aliases: bool = False) -> Iterator[tuple[str, bytes]]:
    """The blobs of a bundle; ``aliases``: accept blobs whose key is not their hash (the server's answers)."""
    while True:
        header = stream.read(_HEADER.size)
        if not header:
            return
        if len(header) != _HEADER.size:
            raise BundleError("blob bundle is truncated (partial record header)")
        key, size = _HEADER.unpack(header)
        digest: Digest | None = None  # None: the key is the SHA-256 (every blob a client sends)
        if size & _ALIASED:
            if not aliases:
                raise BundleError(f"blob {key.hex()} is not named by its hash")
            algorithm = BLAKE3 if size & _BLAKE3 else SHA256
            size &= ~_FLAGS
            digest = Digest(algorithm, stream.read(32))
            if len(digest.value) != 32:
                raise BundleError("blob bundle is truncated (partial record header)")
        if max_blob is not None and size > max_blob:
            raise BundleError(f"a blob of {size} bytes exceeds the limit of {max_blob} bytes")
        data = stream.read(size)
        if len(data) != size:
            raise BundleError("blob bundle is truncated (partial blob)")
        if not (hashlib.sha256(data).digest() == key if digest is None else digest.matches(data)):
            raise BundleError(f"blob {key.hex()} does not match its content")
        yield key.hex(), data


def read_bundle(data: bytes, *, max_blob: int | None = None, aliases: bool = False) -> dict[str, bytes]:
    import io

    return dict(iter_bundle(io.BytesIO(data), max_blob=max_blob, aliases=aliases))
