"""The worker side: run a job in a Dask worker thread so that it can be interrupted.

Dask cannot stop a task that is running in a worker thread: cancelling its
future only makes the scheduler forget the result.  So each job runs through
:func:`run_job`, which records which thread runs which job id in a table kept
on the Dask worker object (the id is the job's Dask key, unique per
submission), and :func:`interrupt_job` (sent to the workers
with ``Client.run``) raises :class:`KeyboardInterrupt` asynchronously in that
thread (``PyThreadState_SetAsyncExc``).  The covalent runtime lets
``KeyboardInterrupt`` through the task's own error handling, so the whole job
stops, and :func:`run_job` turns it into :class:`JobInterrupted`, an ordinary
exception, so the worker itself is unharmed.

An asynchronous exception is delivered only when the thread executes Python
bytecode: a task blocked inside one long C call (``time.sleep(3600)``, a big
native computation) stops when that call returns.  The executor restarts the
worker when a job does not stop within its grace period.

This module is shipped to the workers by value (cloudpickle), so workers need
``covalent`` and ``distributed`` but not ``bondflow-dask``.  For the same
reason its state lives on the worker object as plain builtins, never in
module globals or custom classes (each unpickled copy of a function gets its
own globals); the one exception is the worker's value holder, an instance of
:class:`covalent.runtime.held.MemoryHolder` (a class of ``covalent``, which
every worker has).

Large outputs stay on the worker that made them (the holder, named by the
worker's address): :func:`serve_value` hands one to the next job as a Dask
task result (Dask moves it between workers when it must, and not at all when
the next job runs here), :func:`persist_value` gives its plain pickle to the
server, and :func:`drop_held` lets it go.

The job channel (:mod:`covalent_dask.channel`): :func:`install_channel`,
run on each worker by a worker plugin, adds the ``covalent_job`` handler to
the worker's own comm listener.  The server sends it a job directly (key and
payload) and gets the outcome's bytes in the reply, without the scheduler:
the job runs through :func:`run_job` in the worker's own thread pool (so the
interrupt, the holder and the outcome are those of a job Dask ran), and the
handler refuses it (``busy``) when the worker's threads are all taken by
Dask's tasks and other channel jobs, so the two never oversubscribe it.  A
short job sent ``queued`` may wait in the thread pool's queue, one per
thread, behind short channel jobs only (never behind a Dask task): the
thread that ends one job takes the next at once.
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Any

__all__ = [
    "HOLDER_ATTRIBUTE",
    "TABLE_ATTRIBUTE",
    "JobInterrupted",
    "channel_jobs",
    "drop_held",
    "install_channel",
    "interrupt_job",
    "job_threads",
    "persist_value",
    "run_job",
    "serve_value",
    "write_held_file",
]

#: Attribute of the Dask worker object holding the table of running jobs.
TABLE_ATTRIBUTE = "_covalent_dask_jobs"
#: Attribute of the Dask worker object holding the values kept by reference.
HOLDER_ATTRIBUTE = "_covalent_dask_held"

#: Seconds a "cancelled before it started" mark is kept on a worker.
_CANCEL_MARK_TTL = 3600.0


class JobInterrupted(Exception):
    """Raised in the worker when a job was stopped by a cancel request."""


def _table(worker: Any) -> dict[str, Any]:
    """The worker's job table (created on first use; ``setdefault`` is atomic)."""
    fresh = {
        "lock": threading.Lock(),
        "running": {},  # job id -> thread ident
        "interrupted": set(),  # job ids whose thread has been sent the interrupt
        "cancelled": {},  # job id -> time: cancelled before it started here
        "channel": {},  # job id -> short: the jobs taken through the job channel and not yet answered
        "channel_served": 0,  # how many jobs the channel has run here
    }
    return worker.__dict__.setdefault(TABLE_ATTRIBUTE, fresh)


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> int:
    """Schedule ``exc`` in thread ``ident`` (``None`` clears a pending one)."""
    target = ctypes.py_object(exc) if exc is not None else None
    return int(ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), target))


def _deregister(table: dict[str, Any], job_id: str, ident: int) -> None:
    """Mark the job finished, then drop an interrupt that is set but not yet delivered.

    Once the entry is gone no new interrupt can be set for this thread (the
    interrupter checks the entry under the same lock), so clearing afterwards
    leaves nothing pending that could land in Dask's own code.
    """
    with table["lock"]:
        if table["running"].get(job_id) == ident:
            del table["running"][job_id]
        table["interrupted"].discard(job_id)
    _set_async_exc(ident, None)


def _holder(worker: Any) -> Any:
    """The worker's value holder (created on first use)."""
    from covalent.runtime.held import MemoryHolder

    holder = worker.__dict__.get(HOLDER_ATTRIBUTE)
    if holder is None:
        holder = worker.__dict__.setdefault(HOLDER_ATTRIBUTE, MemoryHolder(worker.address))
    return holder


def run_job(job_id: str, payload: bytes, held_inputs: dict[str, Any] | None = None, dask_worker: Any = None) -> bytes:
    """Run a covalent job payload in this worker thread; interruptible by job id.

    ``held_inputs``: input values by key, brought by Dask from :func:`serve_value`.
    ``dask_worker``: the worker, when the job came through the channel (not a Dask task).
    Returns the bytes of the job's outcome (:func:`covalent.runtime.execute.execute_payload`);
    outputs over the payload's ``hold_bytes`` stay in this worker's holder.
    Raises :class:`JobInterrupted` if the job was cancelled.
    """
    from distributed import get_worker

    from covalent.runtime.execute import execute_payload

    worker = dask_worker if dask_worker is not None else get_worker()
    holder = _holder(worker)

    def run_payload(data: bytes) -> bytes:
        return execute_payload(data, holder=holder, held_inputs=held_inputs, job_key=job_id).to_bytes()

    table = _table(worker)
    ident = threading.get_ident()
    with table["lock"]:
        if table["cancelled"].pop(job_id, None) is not None:
            raise JobInterrupted(f"job {job_id} was cancelled before it started")
        table["running"][job_id] = ident
    error: Exception | None = None
    data = b""
    try:
        try:
            data = run_payload(payload)
        except Exception as exc:
            error = exc
        _deregister(table, job_id, ident)
    except KeyboardInterrupt:
        # The one interrupt for this job has been delivered: cleaning up is safe now.
        _deregister(table, job_id, ident)
        raise JobInterrupted(f"job {job_id} was cancelled while running") from None
    if error is not None:
        raise error
    return data


def interrupt_job(job_id: str, dask_worker: Any = None) -> str:
    """Stop job ``job_id`` if this worker runs it (called through ``Client.run``).

    Returns ``"interrupted"`` when the job's thread was sent the interrupt,
    ``"interrupting"`` when it had been already, and ``"absent"`` when the
    job is not running here (it is then marked so that it never starts here).
    """
    if dask_worker is None:
        from distributed import get_worker

        dask_worker = get_worker()
    table = _table(dask_worker)
    now = time.time()
    with table["lock"]:
        cancelled = table["cancelled"]
        for stale in [k for k, t in cancelled.items() if now - t > _CANCEL_MARK_TTL]:
            del cancelled[stale]
        ident = table["running"].get(job_id)
        if ident is None:
            cancelled[job_id] = now
            return "absent"
        if job_id in table["interrupted"]:
            return "interrupting"
        table["interrupted"].add(job_id)
        if _set_async_exc(ident, KeyboardInterrupt) != 1:
            return "absent"
        return "interrupted"


def job_threads(dask_worker: Any = None) -> dict[str, int]:
    """Job id -> thread ident of the jobs running on this worker (for diagnostics)."""
    if dask_worker is None:
        from distributed import get_worker

        dask_worker = get_worker()
    table = _table(dask_worker)
    with table["lock"]:
        return dict(table["running"])


def serve_value(key: str) -> Any:
    """A held value as the next job receives it (run on the worker holding it)."""
    from distributed import get_worker

    from covalent.runtime.held import consumer_value

    return consumer_value(_holder(get_worker()).get(key))


def persist_value(key: str) -> bytes:
    """A held value's plain pickle, for the server to store (run on the worker holding it)."""
    from distributed import get_worker

    from covalent.runtime.held import persisted_stream

    return b"".join(persisted_stream(_holder(get_worker()).get(key)))


async def write_held_file(key: str, path: str, dask_worker: Any = None) -> str:
    """Write a held value's plain pickle to the new file ``path`` and return its digest.

    The digest is :mod:`covalent.runtime.digests`' text (BLAKE3), made in a
    second thread while this one writes: both let go of the GIL on large
    buffers, and hashing is the shorter of the two.

    Called through ``Client.run`` on the holding worker of a cluster on the
    server's machine: it runs in a thread of its own, so it takes no task slot
    from the jobs and does not block the worker's event loop.
    """
    import asyncio

    if dask_worker is None:
        from distributed import get_worker

        dask_worker = get_worker()
    held = _holder(dask_worker).get(key)

    def write() -> str:
        import os
        import threading

        from covalent.runtime.digests import blake3_hasher, digest_of
        from covalent.runtime.held import persisted_stream

        parts = persisted_stream(held)
        digest = blake3_hasher()

        def hash_parts() -> None:
            for part in parts:
                digest.update(part)

        hashing = threading.Thread(target=hash_parts)
        hashing.start()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                for part in parts:
                    f.write(part)
        finally:
            hashing.join()
        return digest_of(digest)

    return await asyncio.to_thread(write)


def drop_held(keys: list[str], dask_worker: Any = None) -> int:
    """Let held values go (called through ``Client.run``); how many this worker had."""
    if dask_worker is None:
        from distributed import get_worker

        dask_worker = get_worker()
    return int(_holder(dask_worker).drop(list(keys)))


def install_channel(worker: Any) -> None:
    """Add the job channel's ``covalent_job`` handler to this worker's comm listener.

    The reply is a dict: ``{"status": "OK", "data": outcome bytes}``, or
    ``"busy"`` (every thread is taken: the job did not start), ``"interrupted"``
    (cancelled), ``"failed"`` with ``error`` and ``log`` (the payload could not
    run).  Never an exception: the server would have to unpickle it.
    """
    import asyncio
    import traceback

    from distributed.protocol import to_serialize

    try:  # what Dask sets around a task in its thread (get_worker, get_client, get_current_task, secede)
        from distributed.utils import set_thread_state
        from distributed.worker import _worker_cvar
    except ImportError:  # a Dask without them: no channel here, every job stays a Dask task
        return

    table = _table(worker)

    def in_thread(key: str, payload: bytes) -> bytes:
        """The job in a thread of the worker's pool, in the thread state Dask gives a task."""
        ident = threading.get_ident()
        with worker.active_threads_lock:
            worker.active_threads[ident] = key
        try:
            with set_thread_state(start_time=time.time(), execution_state=worker.execution_state, key=key):
                token = _worker_cvar.set(worker)
                try:
                    return run_job(key, payload, None, worker)
                finally:
                    _worker_cvar.reset(token)
        finally:
            with worker.active_threads_lock:
                del worker.active_threads[ident]

    def takes(state: Any, queued: bool) -> bool:
        """A thread is free of Dask's tasks and channel jobs; or (``queued``) the job may wait for one.

        A queued job waits in the thread pool's queue, one per thread, behind short channel
        jobs only: never behind a Dask task or a job of unknown length.
        """
        channel = table["channel"]
        if len(state.executing) + len(channel) < state.nthreads:
            return True
        return (
            queued
            and not state.executing
            and len(channel) < 2 * state.nthreads
            and all(channel.values())  # every job here is short
        )

    async def covalent_job(key: str = "", payload: bytes = b"", queued: bool = False, short: bool = False) -> Any:
        state = worker.state
        with table["lock"]:
            if worker.status.name != "running" or not takes(state, queued):
                return {"status": "busy"}
            table["channel"][key] = short
        try:
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(worker.executors["default"], in_thread, key, payload)
        except JobInterrupted:
            return {"status": "interrupted"}
        except Exception as exc:
            return {"status": "failed", "error": repr(exc), "log": "".join(traceback.format_exception(exc))}
        finally:
            with table["lock"]:
                table["channel"].pop(key, None)
                table["channel_served"] += 1
        return {"status": "OK", "data": to_serialize(data)}

    worker.handlers["covalent_job"] = covalent_job


def channel_jobs(dask_worker: Any = None) -> int:
    """How many jobs the channel has run on this worker (for tests and diagnostics)."""
    if dask_worker is None:
        from distributed import get_worker

        dask_worker = get_worker()
    table = _table(dask_worker)
    with table["lock"]:
        return int(table["channel_served"])
