"""Values handed on by reference: what the server knows of them, and persisting them off the critical path.

A large output may stay where it was made (``NodeOutcome.held``: an executor
with ``hold_values_over`` kept it).  The run records the reference at once
(a blob row with no bytes and a ``location``) and moves on: the next job on
the same executor gets the value from where it is (``Job.held_inputs``).
Meanwhile :class:`HeldValues` fetches the bytes from the executor
(``fetch_held``), writes them to the object store and marks the row stored,
one value at a time per :data:`PERSISTING_AT_ONCE`.

What can happen to such a value, and what follows:

- persisted: it reads like any stored value; the executor is told to let it
  go once its dispatch is over (``release_held``);
- lost before it was persisted (its worker died, the cluster restarted, the
  server restarted with its own local cluster): the row says why, a running
  dispatch that still needs it recomputes the node that made it, and reading
  it afterwards is a clear error (:class:`~covalent.server.store.blobs.BlobLostError`);
- the server restarted while it was held: :meth:`HeldValues.resume` takes
  up every recorded reference again and persists it if the executor still
  has it (an external Dask cluster does), else marks it lost.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from covalent.executor.jobs import HeldRef, HeldValueLost, JobExecutor
from covalent.server.dispatcher.executors import ExecutorInstances, spec_key
from covalent.server.store.blobs import BlobStore
from covalent.server.store.events import Event
from covalent.server.store.models import HeldRow
from covalent.server.store.writer import Writer

__all__ = ["HeldEntry", "HeldValues", "PERSISTING_AT_ONCE"]

log = logging.getLogger(__name__)

#: Values fetched and written at once (each is in the server's memory while it is written).
PERSISTING_AT_ONCE = 2
#: Attempts at storing a value whose executor (or disk) fails for another reason than the value being gone.
FETCH_ATTEMPTS = 3


@dataclass(eq=False)
class HeldEntry:
    ref: HeldRef
    spec: Any  # the executor spec (JSON) of the executor holding it
    dispatch_id: str
    #: Resolves when the bytes are stored; raises HeldValueLost when the value was lost first.
    stored: asyncio.Future[None]
    executor: JobExecutor | None = None
    run_over: bool = False
    released: bool = False
    #: Jobs no longer take it from its holder (the holder lost it after it was stored).
    unroutable: bool = False
    #: Set when storing should start now (its consumers are done, or someone waits for the bytes).
    now: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def executor_key(self) -> str:
        return spec_key(self.spec)


class HeldValues:
    def __init__(self, writer: Writer, store: BlobStore, executors: ExecutorInstances) -> None:
        self._writer = writer
        self._store = store
        self._executors = executors
        self._entries: dict[str, HeldEntry] = {}
        self._slots = asyncio.Semaphore(PERSISTING_AT_ONCE)

    # -- what runs ask -------------------------------------------------------------
    def location(self, ref: HeldRef, spec: Any) -> dict[str, Any]:
        """What the blob row records of a held value (enough to find it again after a restart)."""
        return {"executor": spec, "holder": ref.holder}

    def record(
        self, dispatch_id: str, spec: Any, executor: JobExecutor, ref: HeldRef, *, delay: float = 0.0
    ) -> HeldEntry:
        """A run recorded a held value (its row is queued): store it within ``delay`` seconds.

        Storing starts sooner when every consumer has taken the value
        (:meth:`done_with`) or someone waits for its bytes (:meth:`stored`):
        until then it would only compete with the consumers for their worker.
        """
        entry = self._entries.get(ref.key)
        if entry is None:
            loop = asyncio.get_running_loop()
            entry = HeldEntry(ref, spec, dispatch_id, loop.create_future(), executor)
            self._entries[ref.key] = entry
            entry.task = loop.create_task(self._persist(entry, delay))
        return entry

    def entry(self, key: str) -> HeldEntry | None:
        return self._entries.get(key)

    def routable(self, key: str, spec: Any) -> HeldRef | None:
        """The reference, if a job on executor ``spec`` can take the value from where it is held."""
        entry = self._entries.get(key)
        if entry is None or entry.released or entry.unroutable or entry.executor_key != spec_key(spec):
            return None
        if entry.stored.done() and entry.stored.exception() is not None:
            return None
        return entry.ref

    async def stored(self, key: str) -> None:
        """Wait until a held value's bytes are stored (at once for any other value); HeldValueLost if lost."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.now.set()
            await asyncio.shield(entry.stored)

    def pending(self, key: str) -> bool:
        entry = self._entries.get(key)
        return entry is not None and not entry.stored.done()

    def is_stored(self, key: str) -> bool:
        """Whether the value's bytes are stored (True for any value this service does not hold)."""
        entry = self._entries.get(key)
        return entry is None or (entry.stored.done() and entry.stored.exception() is None)

    def unroute(self, key: str) -> None:
        """Its holder no longer has a stored value: later jobs read it from the store."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.unroutable = True

    def __bool__(self) -> bool:
        return bool(self._entries)

    def done_with(self, key: str) -> None:
        """No job of its dispatch needs the value any more: it may go from its holder once stored."""
        entry = self._entries.get(key)
        if entry is None or entry.run_over:
            return
        entry.run_over = True
        entry.now.set()
        if entry.stored.done():
            asyncio.get_running_loop().create_task(self._release([entry]))

    def run_ended(self, dispatch_id: str) -> None:
        """A dispatch is over: its held values may go once stored."""
        done = []
        for entry in self._entries.values():
            if entry.dispatch_id == dispatch_id:
                entry.run_over = True
                entry.now.set()
                if entry.stored.done():
                    done.append(entry)
        if done:
            asyncio.get_running_loop().create_task(self._release(done))

    # -- after a restart -----------------------------------------------------------
    async def resume(self) -> int:
        """Take up every value recorded as held (or lost) when the server stopped; how many."""

        def load() -> list[HeldRow]:
            with self._store.engine.connect() as conn:
                return self._store.held_rows(conn)

        loop = asyncio.get_running_loop()
        rows = await asyncio.to_thread(load)
        for key, size, location in rows:
            if key in self._entries:
                continue
            ref = HeldRef(key, size, str(location.get("holder", "")))
            entry = HeldEntry(ref, location.get("executor"), "", loop.create_future(), run_over=True)
            self._entries[key] = entry
            if "lost" in location:
                entry.stored.set_exception(HeldValueLost(key, str(location["lost"])))
                entry.stored.exception()  # retrieved: nobody may ask
            else:
                entry.task = loop.create_task(self._persist(entry))
        return len(rows)

    async def close(self) -> None:
        """Server shutdown: stop persisting (the rows stay; :meth:`resume` takes them up again)."""
        tasks = [e.task for e in self._entries.values() if e.task is not None and not e.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- persisting ----------------------------------------------------------------
    async def _persist(self, entry: HeldEntry, delay: float = 0.0) -> None:
        key = entry.ref.key
        try:
            if delay > 0:
                try:
                    await asyncio.wait_for(entry.now.wait(), delay)
                except TimeoutError:
                    pass
            async with self._slots:
                digest, size = await self._stored_file(entry)
                await self._writer.write(lambda conn: self._mark(conn, key, digest, size))
        except HeldValueLost as exc:
            log.warning("held value %s was lost before it was stored: %s", key, exc)
            reason = str(exc)
            try:
                await self._writer.write(lambda conn: self._lost(conn, key, reason))
            finally:
                entry.stored.set_exception(exc)
                entry.stored.exception()
            return
        except asyncio.CancelledError:
            if not entry.stored.done():
                entry.stored.cancel()
            raise
        entry.stored.set_result(None)
        if entry.run_over:
            await self._release([entry])

    async def _stored_file(self, entry: HeldEntry) -> tuple[str, int]:
        """Write the value's file, trying again on failures that are not the value being gone."""
        for attempt in range(1, FETCH_ATTEMPTS + 1):
            try:
                return await self._write(entry)
            except HeldValueLost:
                raise
            except Exception as exc:
                if attempt == FETCH_ATTEMPTS:
                    log.exception("storing held value %s failed", entry.ref.key)
                    raise HeldValueLost(entry.ref.key, f"storing it failed: {exc!r}") from exc
                log.warning("storing held value %s failed (attempt %d): %r", entry.ref.key, attempt, exc)
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def _mark(self, conn: Any, key: str, digest: str, size: int) -> list[Event]:
        self._store.mark_persisted(conn, key, digest, size)
        return []

    def _lost(self, conn: Any, key: str, reason: str) -> list[Event]:
        self._store.mark_lost(conn, key, reason)
        return []

    async def _write(self, entry: HeldEntry) -> tuple[str, int]:
        """Write the value's file: by its holder when it can (same machine), else fetched here; digest, size."""
        if entry.executor is None:
            entry.executor = await self._executors.get(entry.spec)
        key = entry.ref.key
        target = self._store.held_target(key)
        try:
            digest = await entry.executor.write_held(entry.ref, str(target))
            if digest is not None:
                return digest, await asyncio.to_thread(self._store.adopt_held, key, target)
        finally:
            target.unlink(missing_ok=True)
        data = await self._fetch(entry)
        return await asyncio.to_thread(self._store.write_held, key, data), len(data)

    async def _fetch(self, entry: HeldEntry) -> bytes:
        assert entry.executor is not None
        return await entry.executor.fetch_held(entry.ref)

    async def _release(self, entries: list[HeldEntry]) -> None:
        by_executor: dict[int, tuple[JobExecutor, list[HeldRef]]] = {}
        for entry in entries:
            if entry.released or entry.executor is None:
                continue
            entry.released = True
            by_executor.setdefault(id(entry.executor), (entry.executor, []))[1].append(entry.ref)
        for executor, refs in by_executor.values():
            try:
                await executor.release_held(refs)
            except Exception as exc:
                log.warning("releasing %d held value(s) failed: %r", len(refs), exc)
        for entry in entries:
            if entry.released:
                self._entries.pop(entry.ref.key, None)
