"""The single database writer: operations queued, committed in batches.

Every change to the result database goes through :meth:`Writer.write`.  The
writer takes whatever is queued, runs it in one transaction on its own
thread (group commit), and only then publishes the events the operations
returned and resolves their futures.  A batch that fails is retried one
operation at a time, so one bad operation cannot lose the others; transient
failures (database locked, disk full) are retried with backoff while the
server stays up: they are retried until they pass, and nothing queued is
dropped.  ``healthy`` and ``last_error`` say how the database is doing.

A batch of only a few operations marked ``small`` (one job's node updates,
a dispatch's final record, a small upload) is committed on the event loop
itself when the database is SQLite: it takes a fraction of a millisecond, and
the two thread hops around it cost as much again.  Such a commit never waits
for a lock (a locked database sends it to the thread, where it is retried).
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from covalent.limits import LIMITS
from covalent.server.store.events import Event

__all__ = ["EventSink", "Operation", "Writer", "is_transient", "together"]

log = logging.getLogger(__name__)


def is_transient(exc: BaseException) -> bool:
    """Failures that pass: a locked or full database, a lost connection, a full disk."""
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT)


#: An operation runs inside the batch's transaction and returns events to publish.
Operation = Callable[[Connection], list[Event] | None]


def together(*operations: Operation) -> Operation:
    """One operation that runs ``operations`` in order (in one transaction) and returns all their events."""

    def op(conn: Connection) -> list[Event]:
        return [event for operation in operations for event in operation(conn) or []]

    return op


class EventSink(Protocol):
    """Where committed changes are announced: the server wires in its event bus."""

    def publish(self, event: Event) -> None: ...


class Writer:
    def __init__(self, engine: Engine, events: EventSink, max_batch: int = 2000) -> None:
        self.engine = engine
        self.events = events
        self.max_batch = max_batch
        self._queue: list[tuple[Operation, asyncio.Future[None], bool, int]] = []
        #: Rows queued and not committed yet (as declared by ``write(rows=)``).
        self.backlog = 0
        self._committed = asyncio.Event()
        self.inline = engine.dialect.name == "sqlite"
        self._wakeup = asyncio.Event()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="covalent-db-writer")
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        #: The connection of the commits made on the event loop (see :meth:`_commit_here`).
        self._here: Connection | None = None
        self.batches = 0
        self.operations = 0
        self.last_error = ""
        self.healthy = True

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="db-writer")

    def write(self, op: Operation, *, small: bool = False, rows: int = 0) -> asyncio.Future[None]:
        """Queue ``op``; the future resolves once it is committed.

        ``small``: the operation writes a few rows (it may be committed on the event loop).
        ``rows``: how many rows it writes, counted in ``backlog`` until it is committed.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future, small, rows))
        self.backlog += rows
        self._wakeup.set()
        return future

    async def committed(self, timeout: float) -> None:
        """Wait for the next batch to be committed (or ``timeout`` seconds)."""
        try:
            async with asyncio.timeout(timeout):
                await self._committed.wait()
        except TimeoutError:
            pass

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.write(lambda conn: None)

    @staticmethod
    def _run_ops(conn: Connection, ops: list[Operation]) -> list[Event]:
        """Run ``ops`` in the open transaction; the events they return."""
        events: list[Event] = []
        for op in ops:
            events.extend(op(conn) or [])
        return events

    def _commit(self, ops: list[Operation]) -> list[Event]:
        with self.engine.begin() as conn:
            return self._run_ops(conn, ops)

    def _commit_here(self, ops: list[Operation]) -> list[Event]:
        """Commit on this thread, without waiting for a lock (a locked database raises at once).

        On a connection the writer keeps for these commits alone, set once not to
        wait for a lock: checking one out of the pool, setting ``busy_timeout`` to
        0 and back, and the pool's rollback when it is returned were about 50 us of
        the event loop per commit (py-spy, full-reuse redispatches: the first
        ``PRAGMA`` alone 4% of the loop's samples).  It is dropped after any
        failure (a fresh one is opened for the next commit).
        """
        conn = self._here
        if conn is None:
            conn = self.engine.connect()
            sqlite = conn.connection.dbapi_connection  # pragmas outside SQLAlchemy's transaction
            assert sqlite is not None
            sqlite.execute("PRAGMA busy_timeout=0")
            self._here = conn
        try:
            with conn.begin():
                return self._run_ops(conn, ops)
        except BaseException:
            self._drop_here()
            raise

    def _drop_here(self) -> None:
        conn, self._here = self._here, None
        if conn is not None:
            try:
                conn.invalidate()  # not back to the pool: its busy_timeout is 0
            finally:
                conn.close()

    async def _commit_with_retry(self, ops: list[Operation], small: bool = False) -> list[Event]:
        """Commit, retrying transient failures (locked, full, disconnected) for as long as they last."""
        loop = asyncio.get_running_loop()
        if small and self.inline:
            try:
                events = self._commit_here(ops)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                # Locked by another process (or another passing failure): wait and retry on the thread.
            else:
                self.healthy = True
                return events

        # tenacity here, on the first commit that goes to the thread: imported at the
        # module's top it was ~15 ms of the server's way to ready (it imports tornado's
        # logging and curses when tornado is installed, as Dask installs it).
        from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_never, wait_exponential

        def note(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.healthy = False
            if state.attempt_number in (1, 10) or state.attempt_number % 100 == 0:
                log.warning("database write failed (attempt %d), retrying: %s", state.attempt_number, self.last_error)

        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=wait_exponential(multiplier=0.05, max=2),
            stop=stop_never,
            before_sleep=note,
            reraise=True,
        ):
            with attempt:
                events = await loop.run_in_executor(self._thread, self._commit, ops)
        self.healthy = True
        return events

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                await self._apply(batch)
            if self._closing and not self._queue:
                return

    async def _apply(self, batch: list[tuple[Operation, asyncio.Future[None], bool, int]]) -> None:
        ops = [item[0] for item in batch]
        small = len(batch) <= LIMITS.inline_commit_ops and all(item[2] for item in batch)
        try:
            events = await self._commit_with_retry(ops, small)
        except Exception as exc:
            if len(batch) == 1:
                self._settled(batch)
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("database write rejected: %s", self.last_error)
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                return
            for item in batch:  # isolate the failing operation
                await self._apply([item])
            return
        self.batches += 1
        self.operations += len(batch)
        self._settled(batch)
        for event in events:
            self.events.publish(event)
        for _, future, _, _ in batch:
            if not future.done():
                future.set_result(None)

    def _settled(self, batch: list[tuple[Operation, asyncio.Future[None], bool, int]]) -> None:
        """``batch`` is committed (or rejected): its rows leave the backlog; whoever waits for room looks again."""
        self.backlog -= sum(item[3] for item in batch)
        self._committed.set()
        self._committed = asyncio.Event()

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        self._thread.shutdown(wait=True)
        self._drop_here()
