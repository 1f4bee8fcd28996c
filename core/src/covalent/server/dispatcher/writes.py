"""One run's changes to the database: node updates and outputs, the dispatch's record.

Every write is queued to the server's single :class:`~covalent.server.store.writer.Writer`;
the event describing it is published only after it is committed.  Outputs
being written are pinned in the :class:`~.blobcache.BlobCache` until then, so
a job that needs them next reads them from memory.
"""

from __future__ import annotations

import asyncio
from typing import Any

from covalent.limits import LIMITS
from covalent.server.dispatcher.blobcache import BlobCache
from covalent.server.store.events import DispatchEvent, Event, NodesChanged
from covalent.server.store.records import NodeUpdate, set_dispatch, update_nodes
from covalent.server.store.writer import Writer

__all__ = ["RunWrites"]


class RunWrites:
    def __init__(self, writer: Writer, blobs: BlobCache, dispatch_id: str, root_dispatch_id: str) -> None:
        self._writer = writer
        self._blobs = blobs
        self.dispatch_id = dispatch_id
        self.root_dispatch_id = root_dispatch_id

    def node_event(self, changes: list[tuple[int, str]], completed: int, total: int) -> NodesChanged:
        return NodesChanged(self.dispatch_id, self.root_dispatch_id, changes, completed, total)

    def nodes(
        self,
        updates: list[NodeUpdate],
        blobs: dict[str, bytes] | None,
        *,
        completed: int,
        total: int,
        previews: dict[str, str] | None = None,
        held: list[tuple[str, int, str, dict[str, Any]]] | None = None,
    ) -> asyncio.Future[None]:
        """Queue node updates (and the outputs they name, with their previews); the future resolves at the commit.

        ``held``: outputs recorded by reference, ``(key, size, preview, location)`` (no bytes yet).
        """
        event = self.node_event(
            [(u.node_id, u.values["status"]) for u in updates if "status" in u.values], completed, total
        )
        store = self._blobs.store
        dispatch_id = self.dispatch_id
        if blobs:
            self._blobs.pin(blobs)

        def op(conn: Any) -> list[Event]:
            if blobs:
                store.put_many(conn, blobs, previews)
            if held:
                store.put_held(conn, held)
            update_nodes(conn, dispatch_id, updates)
            return [event] if event.nodes else []

        small = (
            len(updates) <= LIMITS.small_write_rows
            and sum(map(len, (blobs or {}).values())) <= LIMITS.small_write_bytes
        )
        future = self._writer.write(op, small=small, rows=len(updates))
        if blobs:
            keys = list(blobs)
            future.add_done_callback(lambda _f: self._blobs.unpin(keys))
        return future

    @property
    def backlog(self) -> int:
        """Rows queued to the writer (every run's) and not committed yet."""
        return self._writer.backlog

    async def committed(self, timeout: float) -> None:
        """Wait for the writer's next commit (or ``timeout`` seconds)."""
        await self._writer.committed(timeout)

    def dispatch(self, event: DispatchEvent, **values: Any) -> asyncio.Future[None]:
        """Queue a change of the dispatch's own record (a few columns: always a small write)."""
        dispatch_id = self.dispatch_id

        def op(conn: Any) -> list[Event]:
            set_dispatch(conn, dispatch_id, **values)
            return [event]

        return self._writer.write(op, small=True)
