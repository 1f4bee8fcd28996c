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
own globals).
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Any

__all__ = ["TABLE_ATTRIBUTE", "JobInterrupted", "interrupt_job", "job_threads", "run_job"]

#: Attribute of the Dask worker object holding the table of running jobs.
TABLE_ATTRIBUTE = "_covalent_dask_jobs"

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


def run_job(job_id: str, payload: bytes) -> bytes:
    """Run a covalent job payload in this worker thread; interruptible by job id.

    Returns the bytes of the job's outcome (:func:`covalent.runtime.run_payload`).
    Raises :class:`JobInterrupted` if the job was cancelled.
    """
    from distributed import get_worker

    from covalent.runtime import run_payload

    table = _table(get_worker())
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
