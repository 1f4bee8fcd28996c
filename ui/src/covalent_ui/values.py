"""Short text previews of stored values (results, inputs), computed server-side."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from typing import TYPE_CHECKING

from covalent.limits import LIMITS

if TYPE_CHECKING:
    from covalent.server.view import ServerView, Snapshot

__all__ = ["MAX_PREVIEW_BYTES", "PREVIEW_CHARS", "preview_blob", "preview_blobs", "preview_bytes"]

#: Values larger than this are described by their size, not unpickled.
MAX_PREVIEW_BYTES = LIMITS.preview_value_bytes
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


async def preview_blob(view: ServerView, key: str | None) -> str | None:
    """Preview of the blob ``key`` (``None`` without a key)."""
    if not key:
        return None
    return (await preview_blobs(view, [key]))[key]


async def preview_blobs(view: ServerView, keys: Iterable[str]) -> dict[str, str]:
    """Previews of several blobs, read and unpickled in a worker thread."""
    wanted = sorted(set(keys))

    def run(snapshot: Snapshot) -> dict[str, str]:
        sizes = snapshot.value_sizes(wanted)
        small = [k for k in wanted if sizes.get(k, MAX_PREVIEW_BYTES + 1) <= MAX_PREVIEW_BYTES]
        found = snapshot.values(small) if small else {}
        out = {}
        for key in wanted:
            if key in found:
                out[key] = preview_bytes(found[key])
            elif key in sizes:
                out[key] = f"<{sizes[key]} bytes>"
            else:
                out[key] = "<missing>"
        return out

    return await view.read(run) if wanted else {}
