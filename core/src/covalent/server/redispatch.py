"""Running a stored workflow again, entirely inside the server.

The stored manifest names every function and input by blob key and those
blobs are in the store, so the copy is registered like an upload
(``prepare_dispatch``, then the single writer) and started, with no upload.
With ``reuse_previous_results`` every node whose fingerprint (code, inputs,
upstream) matches a completed node of the original takes its output.

A completed original redispatched with reuse is the common case (re-running
a notebook cell) and needs no manifest at all: every node takes its own
output, so the copy is one ``INSERT ... SELECT`` of its dispatch row, recorded
as completed in the same transaction; nothing is parsed, fingerprinted or
scheduled.  The copy writes its dispatch row only: it shares the original's
node rows and manifest (see :mod:`covalent.server.store.sharing`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection

from covalent.limits import LIMITS
from covalent.server.registration import prepare_dispatch
from covalent.server.store.blobs import BlobStore
from covalent.server.store.copies import CompletedOriginals, insert_copy
from covalent.server.store.events import DispatchEvent, DispatchSummary, Event, encode_output
from covalent.server.store.records import NewDispatch, insert_dispatch, read_dispatch, reusable_outputs
from covalent.status import Status

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from covalent.server.dispatcher import Dispatcher
    from covalent.server.store.writer import Writer

__all__ = ["DispatchNotFound", "Redispatched", "Services", "copy_completed", "redispatch", "redispatch_stored"]


class Services(Protocol):
    """What a redispatch works with (the server's :class:`~covalent.server.state.ServerState` has them)."""

    engine: Engine
    blobs: BlobStore
    writer: Writer
    dispatcher: Dispatcher
    originals: CompletedOriginals


class DispatchNotFound(LookupError):
    """No dispatch with the given id."""


@dataclass
class Redispatched:
    dispatch_id: str
    #: The new dispatch's final event (with its summary) when it ended at once:
    #: every node took a previous output.
    final: DispatchEvent | None = None


async def redispatch_stored(state: Services, dispatch_id: str, *, reuse_previous_results: bool = False) -> str:
    """Register and start a copy of ``dispatch_id``; return the new dispatch id (see :func:`redispatch`)."""
    return (await redispatch(state, dispatch_id, reuse_previous_results=reuse_previous_results)).dispatch_id


async def redispatch(state: Services, dispatch_id: str, *, reuse_previous_results: bool = False) -> Redispatched:
    """Register and start a copy of ``dispatch_id``.

    Raises :class:`DispatchNotFound`, or :class:`~covalent.server.registration.ManifestError`
    when the stored workflow can no longer run here (its executor was uninstalled, say).
    """
    if reuse_previous_results:
        final = await _copy_completed(state, dispatch_id)
        if final is not None:
            return Redispatched(final.dispatch_id, final)

    def prepare() -> NewDispatch:
        with state.engine.connect() as conn:
            record = read_dispatch(conn, dispatch_id, with_manifest=True)
            if record is None:
                raise DispatchNotFound(dispatch_id)
            reuse = reusable_outputs(conn, dispatch_id) if reuse_previous_results else None
            return prepare_dispatch(
                conn,
                state.blobs,
                record.manifest,
                {},
                reuse=reuse,
                reuse_from=dispatch_id if reuse_previous_results else None,
            )

    new = (await asyncio.to_thread(prepare)).starting()
    await state.writer.write(insert_dispatch(state.blobs, new))
    await state.dispatcher.start(new.dispatch_id, loaded=(new.record(), new.rows()))
    return Redispatched(new.dispatch_id)


def copy_completed(
    conn: Connection, dispatch_id: str, new_id: str, now: float, originals: CompletedOriginals | None = None
) -> DispatchEvent | None:
    """Record ``new_id`` as a completed copy of the completed ``dispatch_id``, reusing every output.

    Returns the new dispatch's event, or None (nothing written) when the original
    is not completed in full, so some node has to run again, or is gone.
    """
    originals = originals or CompletedOriginals(limit=0)
    original = originals.get(conn, dispatch_id)
    if original is None:
        return None
    if not insert_copy(conn, dispatch_id, new_id, now):  # deleted since it was read
        originals.forget(dispatch_id)
        return None
    summary = DispatchSummary.of(
        original.record,
        {Status.COMPLETED: original.tasks} if original.tasks else {},
        dispatch_id=new_id,
        root_dispatch_id=new_id,
        parent_dispatch_id=None,
        parent_node_id=None,
        created_at=now,
        started_at=now,
        ended_at=now,
        error=None,
        reuse_from=dispatch_id,
    )
    return DispatchEvent(
        new_id,
        new_id,
        Status.COMPLETED,
        original.tasks,
        original.tasks,
        summary=summary,
        output=encode_output(original.output),
        name=summary.record.name,
    )


async def _copy_completed(state: Services, dispatch_id: str) -> DispatchEvent | None:
    new_id = str(uuid.uuid4())
    copied: list[DispatchEvent] = []

    def op(conn: Connection) -> list[Event]:
        copied.clear()  # a batch retried after a failure runs this again
        event = copy_completed(conn, dispatch_id, new_id, time.time(), state.originals)
        if event is None:
            return []
        copied.append(event)
        return [event]

    known = state.originals.node_count(dispatch_id)
    await state.writer.write(op, small=known is not None and known <= LIMITS.small_copy_nodes)
    if not copied:
        return None
    dispatcher = state.dispatcher
    dispatcher.hooks.notify("before_dispatch", dispatch_id=new_id, name=copied[0].name, node_count=copied[0].total)
    dispatcher.hooks.notify("after_dispatch", dispatch_id=new_id, status=Status.COMPLETED)
    return copied[0]
