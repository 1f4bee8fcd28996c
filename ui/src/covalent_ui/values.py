"""Short text previews of stored values (results, inputs), computed server-side."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covalent.server.store.blobs import BlobStore

__all__ = ["MAX_PREVIEW_BYTES", "PREVIEW_CHARS", "preview_blob", "preview_blobs", "preview_bytes"]

#: Values larger than this are described by their size, not unpickled.
MAX_PREVIEW_BYTES = 1 << 20
PREVIEW_CHARS = 2000


def preview_bytes(data: bytes, limit: int = PREVIEW_CHARS) -> str:
    """``repr`` of a pickled value, cut to ``limit`` characters; a note if it cannot be read."""
    if len(data) > MAX_PREVIEW_BYTES:
        return f"<{len(data)} bytes>"
    try:
        text = repr(pickle.loads(data))
    except Exception as exc:  # the value's classes may exist only where the task ran
        return f"<{len(data)} bytes; not previewable on the server: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def preview_blob(store: BlobStore, key: str | None) -> str | None:
    """Preview of the blob ``key`` (``None`` without a key)."""
    if not key:
        return None
    return (await preview_blobs(store, [key]))[key]


async def preview_blobs(store: BlobStore, keys: Iterable[str]) -> dict[str, str]:
    """Previews of several blobs, read and unpickled in a worker thread."""
    wanted = sorted(set(keys))

    def run() -> dict[str, str]:
        from sqlalchemy import select

        from covalent.server.db.tables import blobs

        with store.engine.connect() as conn:
            sizes: dict[str, int] = {}
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                sizes.update(conn.execute(select(blobs.c.key, blobs.c.size).where(blobs.c.key.in_(chunk))).all())
            small = [k for k in wanted if sizes.get(k, MAX_PREVIEW_BYTES + 1) <= MAX_PREVIEW_BYTES]
            found = store.get_many(small, conn) if small else {}
        out = {}
        for key in wanted:
            if key in found:
                out[key] = preview_bytes(found[key])
            elif key in sizes:
                out[key] = f"<{sizes[key]} bytes>"
            else:
                out[key] = "<missing>"
        return out

    return await asyncio.to_thread(run) if wanted else {}
