"""``LocalExecutor`` ("local"): a warm pool of worker processes on this machine.

Registered through the same ``register_executors`` hook as every plugin.
Cancelling a running job terminates its worker process (the pool starts a
fresh one), so a runaway task really stops.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import CancelledError
from typing import Any

from covalent.executor.base import AsyncBaseExecutor, Job, JobFailedError, JobOutcome
from covalent.plugins.hookspecs import hookimpl
from covalent.runtime.execute import run_payload

__all__ = ["LocalExecutor"]

_pools: dict[int, Any] = {}
_pools_lock = threading.Lock()


def _shared_pool(workers: int) -> Any:
    """One warm pool per size, shared by every LocalExecutor in the process."""
    import multiprocessing

    import pebble

    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None or not pool.active:
            context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
            pool = pebble.ProcessPool(max_workers=workers, context=context)
            _pools[workers] = pool
        return pool


def shutdown_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.stop()
            pool.join(timeout=5)
        _pools.clear()


class LocalExecutor(AsyncBaseExecutor):
    """Run tasks in worker processes on the server's machine."""

    short_name = "local"
    max_nodes_per_job = 512

    def __init__(self, workers: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workers = int(workers or max(2, os.cpu_count() or 2))
        self._futures: dict[str, Any] = {}

    def parallelism(self) -> int:
        return self.workers

    async def setup(self) -> None:
        _shared_pool(self.workers)

    async def run(self, job: Job) -> JobOutcome:
        pool = _shared_pool(self.workers)
        future = pool.schedule(run_payload, args=(job.payload,))
        self._futures[job.job_id] = future
        try:
            data = await asyncio.wrap_future(future)
        except CancelledError:
            raise
        except Exception as exc:  # the worker process died or could not run the job
            raise JobFailedError(f"local worker failed job {job.job_id}: {exc!r}") from exc
        finally:
            self._futures.pop(job.job_id, None)
        return JobOutcome.from_bytes(data)

    async def cancel(self, job: Job, handle: Any) -> bool:
        future = self._futures.get(job.job_id)
        if future is None:
            return False
        return bool(future.cancel())


@hookimpl
def register_executors(register: Any) -> None:
    register(LocalExecutor)
