"""Shared dask-jobqueue pools: one ``SLURMCluster`` + ``Client`` per configuration and event loop.

Every ``SlurmPoolExecutor`` with the same constructor arguments on the same
event loop uses one pool; the pool closes (its Slurm worker jobs cancelled)
when the last executor using it tears down.  Worker jobs come and go with
the load through Dask's adaptive scaling.
"""

from __future__ import annotations

import asyncio
import math
import shlex
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Pool", "PoolConfig", "acquire_pool", "release_pool", "shared_pools"]


@dataclass
class PoolConfig:
    """What a pool's worker jobs look like (already validated by the executor)."""

    cores: int
    processes: int
    memory: str
    walltime: str | None
    partition: str | None
    account: str | None
    directives: list[str]
    prologue: list[str]
    env: dict[str, str]
    python: str
    min_jobs: int
    max_jobs: int
    idle_timeout: float
    interface: str | None
    scheduler_options: dict[str, Any]
    worker_extra_args: list[str]
    log_directory: str | None
    local_directory: str | None


@dataclass
class Pool:
    """A running cluster and its client, and how many executors use it."""

    key: str
    cluster: Any
    client: Any
    users: int = 0
    loop: asyncio.AbstractEventLoop | None = None
    slurm_jobs: dict[str, str] = field(default_factory=dict)


_pools: dict[tuple[int, str], Pool] = {}
_locks: dict[int, asyncio.Lock] = {}


def shared_pools() -> dict[tuple[int, str], Pool]:
    """The pools alive in this process, by (event loop id, configuration key)."""
    return _pools


def _import_jobqueue() -> Any:
    """Import ``dask_jobqueue.slurm`` without letting it take over SIGINT.

    dask-jobqueue 0.9 installs a SIGINT handler (``sys.exit``) when imported:
    that fails outside the main thread and would replace the server's own
    handler.  The handlers are left as they were.
    """
    import signal
    import sys

    module = sys.modules.get("dask_jobqueue.slurm")
    if module is not None:
        return module
    original = signal.signal
    signal.signal = lambda signalnum, handler: signal.getsignal(signalnum)  # type: ignore[assignment]
    try:
        import dask_jobqueue.slurm as module
    finally:
        signal.signal = original
    return module


def _job_class(env: dict[str, str]) -> type:
    """``SLURMJob`` whose sbatch/scancel calls carry ``env`` (e.g. ``SLURM_CONF``)."""
    SLURMJob = _import_jobqueue().SLURMJob

    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    if not prefix:
        return SLURMJob
    return type(
        "CovalentSLURMJob",
        (SLURMJob,),
        {"submit_command": f"env {prefix} sbatch", "cancel_command": f"env {prefix} scancel"},
    )


async def _start(config: PoolConfig) -> tuple[Any, Any]:
    from distributed import Client

    SLURMCluster = _import_jobqueue().SLURMCluster

    scheduler_options = dict(config.scheduler_options)
    if "dashboard_address" not in scheduler_options:  # no dashboard unless asked for
        scheduler_options.update(dashboard=False, dashboard_address=":0")
    cluster = await SLURMCluster(
        asynchronous=True,
        job_cls=_job_class(config.env),
        cores=config.cores,
        processes=config.processes,
        memory=config.memory,
        walltime=config.walltime,
        queue=config.partition,
        account=config.account,
        job_extra_directives=config.directives,
        job_script_prologue=config.prologue,
        python=config.python,
        interface=config.interface,
        scheduler_options=scheduler_options,
        worker_extra_args=config.worker_extra_args,
        log_directory=config.log_directory,
        local_directory=config.local_directory,
        silence_logs="error",
    )
    try:
        cluster.adapt(
            minimum_jobs=config.min_jobs,
            maximum_jobs=config.max_jobs,
            interval="1s",
            wait_count=max(1, math.ceil(config.idle_timeout)),
        )
        client = await Client(cluster, asynchronous=True)
    except BaseException:
        await cluster.close()
        raise
    return cluster, client


async def acquire_pool(key: str, config: PoolConfig) -> Pool:
    """The pool for ``key`` on the running loop, started if needed; counts one more user."""
    loop = asyncio.get_running_loop()
    lock = _locks.setdefault(id(loop), asyncio.Lock())
    async with lock:
        pool = _pools.get((id(loop), key))
        if pool is None or pool.loop is not loop:
            cluster, client = await _start(config)
            pool = Pool(key=key, cluster=cluster, client=client, loop=loop)
            _pools[(id(loop), key)] = pool
        pool.users += 1
        return pool


async def release_pool(pool: Pool) -> None:
    """One user fewer; close the pool (cancelling its worker jobs) when nobody uses it."""
    pool.users -= 1
    if pool.users > 0:
        return
    if pool.loop is not None:
        _pools.pop((id(pool.loop), pool.key), None)
    try:
        await pool.client.close()
    finally:
        await pool.cluster.close()
