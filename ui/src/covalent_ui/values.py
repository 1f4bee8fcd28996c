"""Short text previews of stored values (results, inputs): the texts made where the values were.

The worker runtime writes a preview beside each output and the SDK one for
each input it uploads; the dashboard shows those and never unpickles a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covalent.server.view import ServerView, Snapshot

__all__ = ["preview_blob", "preview_blobs"]


async def preview_blob(view: ServerView, key: str | None) -> str | None:
    """Preview of the blob ``key`` (``None`` without a key)."""
    if not key:
        return None
    return (await preview_blobs(view, [key]))[key]


async def preview_blobs(view: ServerView, keys: Iterable[str]) -> dict[str, str]:
    """Previews of several blobs (their size where none was made)."""
    wanted = sorted(set(keys))

    def run(snapshot: Snapshot) -> dict[str, str]:
        return snapshot.value_previews(wanted)

    return await view.read(run) if wanted else {}
