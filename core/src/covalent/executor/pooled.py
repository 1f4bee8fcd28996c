"""``PooledExecutor``: run each job in a killable worker process of a shared, warm pool.

A base class for plugins whose backend is a library to call in a process
(the Qiskit and PennyLane executors, and the built-in LocalExecutor).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import CancelledError
from typing import Any, ClassVar

from covalent.executor.jobs import Job, JobExecutor, JobFailedError, JobOutcome
from covalent.executor.pool import WorkerPools, invoke

__all__ = ["PooledExecutor"]


class PooledExecutor(JobExecutor):
    """Runs jobs with ``invoke(worker_target, payload, worker_config())`` in a process pool.

    Subclasses set :attr:`pools` and :attr:`worker_target` and describe their
    backend in :meth:`worker_config` (a picklable dict).  Cancelling a running
    job terminates its worker process.  ``Job.time_limit`` is enforced the
    same way.
    """

    pools: ClassVar[WorkerPools]
    worker_target: ClassVar[str]
    max_nodes_per_job = 64

    def __init__(self, workers: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workers = max(1, int(workers))
        self._futures: dict[str, Any] = {}
        self._holds_pool = False

    def worker_config(self) -> dict[str, Any]:
        """What a worker needs to build the backend (picklable)."""
        return {}

    def parallelism(self) -> int:
        return self.workers

    async def setup(self) -> None:
        if not self._holds_pool:
            self.pools.acquire(self.workers)
            self._holds_pool = True

    async def teardown(self) -> None:
        if self._holds_pool:
            self._holds_pool = False
            await asyncio.to_thread(self.pools.release, self.workers)

    async def run(self, job: Job) -> JobOutcome:
        pool = self.pools.get(self.workers)
        future = pool.schedule(
            invoke,
            args=(self.worker_target, job.payload, self.worker_config()),
            timeout=job.time_limit,
        )
        self._futures[job.job_id] = future
        try:
            data = await asyncio.wrap_future(future)
        except CancelledError:
            raise
        except TimeoutError as exc:
            raise JobFailedError(
                f"{self.short_name} job {job.job_id} exceeded its time limit of {job.time_limit} s and was stopped"
            ) from exc
        except Exception as exc:  # the worker died or could not run the job at all
            raise JobFailedError(f"{self.short_name} worker failed job {job.job_id}: {exc!r}", log=str(exc)) from exc
        finally:
            self._futures.pop(job.job_id, None)
        return JobOutcome.from_bytes(data)

    async def cancel(self, job: Job, handle: Any) -> bool:
        future = self._futures.get(job.job_id)
        if future is None:
            return False
        return bool(future.cancel())
