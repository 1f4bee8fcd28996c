"""Registering a sublattice's child dispatch: the intake service the dispatcher is given.

A sublattice node's job returns the child's manifest and blobs; the
dispatcher hands them to :class:`SublatticeIntake`, which checks and stores
them exactly like an upload (:func:`~covalent.server.registration.prepare_dispatch`)
and answers the new dispatch, ready to start.
"""

from __future__ import annotations

import asyncio
from typing import Any

from covalent.server.registration import prepare_dispatch
from covalent.server.store.blobs import BlobStore
from covalent.server.store.records import NewDispatch, insert_dispatch
from covalent.server.store.writer import Writer

__all__ = ["SublatticeIntake"]


class SublatticeIntake:
    def __init__(self, blobs: BlobStore, writer: Writer) -> None:
        self._blobs = blobs
        self._writer = writer

    async def register(
        self, payload: dict[str, Any], *, parent_dispatch_id: str, parent_node_id: int, root_dispatch_id: str
    ) -> NewDispatch:
        """Check and store the child dispatch ``payload`` describes; it is committed, RUNNING, when this returns."""

        def prepare() -> NewDispatch:
            with self._blobs.engine.connect() as conn:
                return prepare_dispatch(
                    conn,
                    self._blobs,
                    payload["manifest"],
                    payload["blobs"],
                    parent_dispatch_id=parent_dispatch_id,
                    parent_node_id=parent_node_id,
                    root_dispatch_id=root_dispatch_id,
                )

        new = (await asyncio.to_thread(prepare)).starting()
        await self._writer.write(insert_dispatch(self._blobs, new))
        return new
