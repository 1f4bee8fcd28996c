"""Run a stored workflow again, with the same inputs, entirely inside the server.

The stored manifest already names every function and input by blob key and
those blobs are in the server's store, so a new dispatch is registered from
it exactly as the dispatch API registers an upload (``prepare_dispatch``,
then ``insert_dispatch`` through the single writer) and started.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from covalent.server.registration import ManifestError, prepare_dispatch
from covalent.server.store.records import NewDispatch, insert_dispatch, read_dispatch

if TYPE_CHECKING:
    from covalent.server.state import ServerState

__all__ = ["DispatchNotFound", "ManifestError", "redispatch_same_inputs"]


class DispatchNotFound(LookupError):
    """No dispatch with the given id."""


async def redispatch_same_inputs(state: ServerState, dispatch_id: str) -> str:
    """Register and start a copy of ``dispatch_id``; return the new dispatch id.

    Raises :class:`DispatchNotFound`, or :class:`ManifestError` when the
    stored workflow can no longer run here (e.g. its executor was uninstalled).
    """

    def prepare() -> NewDispatch:
        with state.engine.connect() as conn:
            record = read_dispatch(conn, dispatch_id, with_manifest=True)
            if record is None:
                raise DispatchNotFound(dispatch_id)
            return prepare_dispatch(conn, state.blobs, record["manifest"], {})

    new = await asyncio.to_thread(prepare)
    await state.writer.write(insert_dispatch(state.blobs, new))
    await state.dispatcher.start(new.dispatch_id)
    return new.dispatch_id
