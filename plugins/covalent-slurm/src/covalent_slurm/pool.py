"""``SlurmPoolExecutor`` ("slurm_pool"): many small tasks on Dask workers that are Slurm jobs.

dask-jobqueue's ``SLURMCluster`` submits worker jobs; Dask's adaptive
scaling keeps between ``min_jobs`` and ``max_jobs`` of them and releases
idle ones after ``idle_timeout`` seconds.  Executors with the same
configuration share one pool.  Tasks run through a Dask client with
``covalent.runtime.run_payload``; cancel interrupts the task's worker thread
and, if that does not stop it in ``cancel_grace`` seconds, ``scancel``s the
worker's Slurm job.  The scheduler runs in the covalent server process, so
the server must run where ``sbatch`` works and the workers can reach it.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

from covalent.executor.jobs import Job, JobExecutor, JobFailedError, JobOutcome
from covalent_slurm import pool_worker
from covalent_slurm.options import extra_directives, format_time
from covalent_slurm.pool_cluster import Pool, PoolConfig, acquire_pool, release_pool
from covalent_slurm.status import query_squeue
from covalent_ssh.shell import environment_lines, validate_env
from covalent_ssh.transport import LocalTransport, with_env

__all__ = ["SlurmPoolExecutor"]


def _by_value() -> None:
    """Ship :mod:`covalent_slurm.pool_worker` to workers by value (they need not install us)."""
    import cloudpickle

    if pool_worker.__name__ not in cloudpickle.list_registry_pickle_by_value():
        cloudpickle.register_pickle_by_value(pool_worker)


class SlurmPoolExecutor(JobExecutor):
    """Run jobs on an adaptive pool of Dask workers submitted as Slurm jobs.

    See the package README for every option.
    """

    short_name = "slurm_pool"
    max_nodes_per_job = 8

    def __init__(
        self,
        partition: str | None = None,
        walltime: float | str | None = "01:00:00",
        cores: int = 1,
        processes: int = 1,
        memory: str = "1GB",
        gpus: str | int | None = None,
        account: str | None = None,
        qos: str | None = None,
        options: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        modules: list[str] | str | None = None,
        conda_env: str | None = None,
        venv: str | None = None,
        prerun: list[str] | str | None = None,
        python: str = "python3",
        min_jobs: int = 0,
        max_jobs: int = 4,
        idle_timeout: float = 60.0,
        interface: str | None = None,
        scheduler_options: dict[str, Any] | None = None,
        worker_extra_args: list[str] | None = None,
        log_directory: str | None = "~/.cache/covalent/slurm-pool/logs",
        local_directory: str | None = None,
        cancel_grace: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0 <= int(min_jobs) <= int(max_jobs) or int(max_jobs) < 1:
            raise ValueError("need 0 <= min_jobs <= max_jobs and max_jobs >= 1")
        self.env = validate_env(env)
        self.cancel_grace = float(cancel_grace)
        pairs = {"qos": qos, "gpus": gpus}
        self.config = PoolConfig(
            cores=int(cores),
            processes=int(processes),
            memory=str(memory),
            walltime=format_time(walltime) if walltime is not None else None,
            partition=partition,
            account=account,
            directives=extra_directives(pairs) + extra_directives(options),
            prologue=environment_lines(env=self.env, modules=modules, conda_env=conda_env, venv=venv, prerun=prerun),
            env=self.env,
            python=python,
            min_jobs=int(min_jobs),
            max_jobs=int(max_jobs),
            idle_timeout=float(idle_timeout),
            interface=interface,
            scheduler_options=dict(scheduler_options or {}),
            worker_extra_args=list(worker_extra_args or []),
            log_directory=os.path.expanduser(log_directory) if log_directory else None,
            local_directory=local_directory,
        )
        self._pool: Pool | None = None
        self._futures: dict[str, Any] = {}
        self._cancelled: set[str] = set()

    @property
    def config_key(self) -> str:
        """Executors with equal keys share one pool."""
        return json.dumps(getattr(self, "_init_kwargs", {}), sort_keys=True, default=repr)

    def parallelism(self) -> int:
        return self.config.max_jobs * self.config.cores

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"mode": "dask-jobqueue pool", "partition": self.config.partition}
        pool = self._pool
        if pool is not None:
            info["scheduler"] = pool.cluster.scheduler_address
            info["worker_jobs"] = sorted(
                str(w.job_id) for w in pool.cluster.workers.values() if getattr(w, "job_id", None)
            )
        return info

    async def setup(self) -> None:
        """Join (or start) the shared pool for this configuration."""
        await self._ensure_pool()

    async def _ensure_pool(self) -> Pool:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool.loop is not loop:
            if self.config.log_directory:
                os.makedirs(self.config.log_directory, exist_ok=True)
            _by_value()
            self._pool = await acquire_pool(self.config_key, self.config)
        return self._pool

    async def teardown(self) -> None:
        """Leave the pool; the last executor to leave closes it and its worker jobs."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await release_pool(pool)

    async def run(self, job: Job) -> JobOutcome:
        """Run ``job`` on a pool worker; raise :class:`JobFailedError` if it was stopped or lost."""
        import dask

        pool = await self._ensure_pool()
        # a payload is meant to travel in the task: no "large graph" warning for it
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "64GB"}):
            future = pool.client.submit(
                pool_worker.run_job, job.job_id, job.payload, job.time_limit, key=f"covalent-{job.job_id}", pure=False
            )
        self._futures[job.job_id] = future
        try:
            data = await future
        except asyncio.CancelledError:
            if job.job_id in self._cancelled:
                raise JobFailedError(f"covalent job {job.job_id} was cancelled") from None
            future.cancel()
            raise
        except Exception as exc:
            if job.job_id in self._cancelled:
                raise JobFailedError(f"covalent job {job.job_id} was cancelled") from None
            raise JobFailedError(f"the Slurm worker pool failed job {job.job_id}: {type(exc).__name__}: {exc}") from exc
        finally:
            self._futures.pop(job.job_id, None)
        return JobOutcome.from_bytes(data)

    async def cancel(self, job: Job, handle: Any) -> bool:
        """Interrupt the job's worker thread; ``scancel`` its worker job if it keeps running."""
        future = self._futures.get(job.job_id)
        pool = self._pool
        if future is None or pool is None or future.done():
            return False
        self._cancelled.add(job.job_id)
        await pool.client.run(pool_worker.interrupt_job, job.job_id, on_error="return")
        await pool.client.cancel([future])
        deadline = time.monotonic() + self.cancel_grace
        holders: dict[str, str] = {}
        while True:
            states = await pool.client.run(pool_worker.running_jobs, on_error="return")
            holders = {
                addr: str(info["slurm_job_id"])
                for addr, info in states.items()
                if isinstance(info, dict) and job.job_id in info.get("jobs", ())
            }
            if not holders or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        if holders:  # the task ignores the interrupt (stuck in C code): kill its worker job
            await self._kill_worker_jobs(sorted(set(holders.values())))
        return True

    async def _kill_worker_jobs(self, slurm_ids: list[str]) -> None:
        transport = LocalTransport()
        await transport.run(with_env("scancel " + " ".join(slurm_ids), self.env), timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            statuses = await query_squeue(transport, self.env, slurm_ids)
            if not any(s.active for s in statuses.values()):
                return
            await asyncio.sleep(0.5)
