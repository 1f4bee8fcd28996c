"""Running a stored workflow again, entirely inside the server.

The stored manifest names every function and input by blob key and those
blobs are in the store, so the copy is registered like an upload
(``prepare_dispatch``, then the single writer) and started, with no upload.
With ``reuse_previous_results`` every node whose fingerprint (code, inputs,
upstream) matches a completed node of the original takes its output.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from covalent.server.registration import prepare_dispatch, reusable_outputs
from covalent.server.store.records import NewDispatch, insert_dispatch, read_dispatch

if TYPE_CHECKING:
    from covalent.server.state import ServerState

__all__ = ["DispatchNotFound", "redispatch_stored"]


class DispatchNotFound(LookupError):
    """No dispatch with the given id."""


async def redispatch_stored(state: ServerState, dispatch_id: str, *, reuse_previous_results: bool = False) -> str:
    """Register and start a copy of ``dispatch_id``; return the new dispatch id.

    Raises :class:`DispatchNotFound`, or :class:`~covalent.server.registration.ManifestError`
    when the stored workflow can no longer run here (its executor was uninstalled, say).
    """

    def prepare() -> NewDispatch:
        with state.engine.connect() as conn:
            record = read_dispatch(conn, dispatch_id, with_manifest=True)
            if record is None:
                raise DispatchNotFound(dispatch_id)
            reuse = reusable_outputs(conn, dispatch_id) if reuse_previous_results else None
            return prepare_dispatch(
                conn,
                state.blobs,
                record["manifest"],
                {},
                reuse=reuse,
                reuse_from=dispatch_id if reuse_previous_results else None,
            )

    new = (await asyncio.to_thread(prepare)).starting()
    await state.writer.write(insert_dispatch(state.blobs, new))
    await state.dispatcher.start(new.dispatch_id, loaded=(new.record(), new.rows()))
    return new.dispatch_id
