"""The worker side of ``SlurmPoolExecutor``: run payloads in Dask worker threads, interruptibly.

This module travels to the workers by value (cloudpickle), so workers need
only covalent and Dask, not this package.  Each worker process keeps a
registry (in ``sys.modules``, so it survives separately unpickled copies of
these functions) of which thread runs which covalent job.  Cancelling or a
time limit raises an asynchronous exception in that thread: the task stops
at its next Python bytecode (a task blocked inside one long C call stops
when the call returns; the executor then kills the worker's Slurm job).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import types
from typing import Any

__all__ = ["interrupt_job", "run_job", "running_jobs"]

_REGISTRY = "_covalent_slurm_pool_registry"
_FORGET_AFTER = 3600.0


def _registry() -> Any:
    """This process's registry, created once."""
    registry = sys.modules.get(_REGISTRY)
    if registry is None:
        fresh = types.ModuleType(_REGISTRY)
        fresh.lock = threading.Lock()  # type: ignore[attr-defined]
        fresh.threads = {}  # type: ignore[attr-defined]  # job id -> thread ident
        fresh.stopped = {}  # type: ignore[attr-defined]  # job id -> (reason, time)
        fresh.Interrupted = type("CovalentJobInterrupted", (KeyboardInterrupt,), {})  # type: ignore[attr-defined]
        registry = sys.modules.setdefault(_REGISTRY, fresh)
    return registry


def _raise_in(ident: int, exc_type: type) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


def _stop(job_id: str, reason: str) -> bool:
    """Mark ``job_id`` stopped; interrupt its thread if it runs.  True if it was running."""
    registry = _registry()
    with registry.lock:
        now = time.monotonic()
        for old in [k for k, (_, t) in registry.stopped.items() if now - t > _FORGET_AFTER]:
            del registry.stopped[old]
        registry.stopped.setdefault(job_id, (reason, now))
        ident = registry.threads.get(job_id)
        if ident is not None:
            _raise_in(ident, registry.Interrupted)
    return ident is not None


def run_job(job_id: str, payload: bytes, time_limit: float | None = None) -> bytes:
    """Run one covalent job payload in this worker thread; return the outcome bytes."""
    from covalent.runtime import run_payload

    registry = _registry()
    timer = None
    try:
        try:
            with registry.lock:
                if job_id in registry.stopped:
                    raise registry.Interrupted()
                registry.threads[job_id] = threading.get_ident()
            if time_limit:
                timer = threading.Timer(time_limit, _stop, args=(job_id, f"time limit of {time_limit:g} s"))
                timer.daemon = True
                timer.start()
            return run_payload(payload)
        finally:
            if timer is not None:
                timer.cancel()
            with registry.lock:
                registry.threads.pop(job_id, None)
    except registry.Interrupted:
        with registry.lock:
            reason = registry.stopped.get(job_id, ("cancel", 0.0))[0]
        if reason.startswith("time limit"):
            raise TimeoutError(f"covalent job {job_id} exceeded its {reason} and was stopped") from None
        raise RuntimeError(f"covalent job {job_id} was cancelled") from None


def interrupt_job(job_id: str) -> dict[str, Any]:
    """Stop ``job_id`` on this worker (``client.run`` calls it on every worker)."""
    running = _stop(job_id, "cancel")
    return {"running": running, "slurm_job_id": os.environ.get("SLURM_JOB_ID")}


def running_jobs() -> dict[str, Any]:
    """The covalent jobs running on this worker and the worker's own Slurm job id."""
    registry = _registry()
    with registry.lock:
        jobs = sorted(registry.threads)
    return {"jobs": jobs, "slurm_job_id": os.environ.get("SLURM_JOB_ID")}
