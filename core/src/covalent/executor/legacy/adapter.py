"""The one adapter: a Covalent-contract executor run as a :class:`~covalent.executor.jobs.JobExecutor`.

The dispatcher sees only ``Job`` and ``JobOutcome``, so a Covalent plugin
gets what every executor gets here: its nodes recorded as they run, retries,
time limits (the dispatcher cancels a job that passes its limit), cancel,
durability and the dashboard.  Each job runs in a worker process of the
server (:mod:`covalent.executor.legacy.worker`; warm, shared by every
Covalent plugin, ``dispatcher.covalent_plugin_workers`` of them, 8 unless
set), never in the server process: Covalent's ``run`` unpickles what it
fetches back, and the server never unpickles user bytes.  The price is one
process hop per task, next to the seconds a remote task takes.

Cancel: the channel's ``cancel`` flag (``get_cancel_requested()``), the
executor's own ``cancel(task_metadata, handle)`` when it saved a handle
(run in a second worker, so a busy pool cannot hold it up), then the job's
worker process is killed.  Covalent's contract has no way to wait for a
task again, so after a restart a job left running is stopped (its worker
killed, its handle cancelled) and run again.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import CancelledError
from typing import Any, ClassVar

from covalent.executor.jobs import Job, JobExecutor, JobFailedError, JobLostError, JobOutcome
from covalent.executor.legacy.channel import JobChannel
from covalent.executor.legacy.discovery import LegacyPlugin
from covalent.executor.pool import WorkerPools, invoke

__all__ = ["CovalentContractExecutor", "adapter_class"]

_POOLS = WorkerPools(warm_modules=("covalent.executor.legacy.worker",))
_CONTROL = WorkerPools(warm_modules=("covalent.executor.legacy.worker",))
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _workers() -> int:
    from covalent import config

    return max(1, int(config.get("dispatcher.covalent_plugin_workers", 8) or 8))


class CovalentContractExecutor(JobExecutor):
    """Runs the jobs of one Covalent plugin's executor; ``adapter_class`` makes one subclass per plugin.

    ``attributes``: a Covalent executor instance's ``to_dict()["attributes"]``
    (how an instance given to an electron travels); without them the
    executor is built in the worker from ``init_kwargs`` (its defaults and
    config section, for ``executor="<name>"``).
    """

    plugin: ClassVar[LegacyPlugin]
    max_nodes_per_job = 1
    #: Seconds the executor's own ``cancel`` may take.
    cancel_timeout: float = 60.0

    def __init__(self, attributes: dict[str, Any] | None = None, **init_kwargs: Any) -> None:
        super().__init__()
        self.attributes = attributes
        self.init_kwargs = init_kwargs
        self.workers = _workers()
        self._futures: dict[str, Any] = {}
        self._holds_pool = False

    @property
    def contract(self) -> str:
        return f"Covalent {self.plugin.kind}"

    def describe(self) -> dict[str, Any]:
        source = self.plugin.source
        return {"contract": self.contract, "class": self.plugin.class_name, "from": source.distribution or source.label}

    def parallelism(self) -> int:
        return self.workers

    def supports_submit(self) -> bool:
        return True

    async def setup(self) -> None:
        if not self._holds_pool:
            _POOLS.acquire(self.workers)
            _CONTROL.acquire(1)
            self._holds_pool = True

    async def teardown(self) -> None:
        if self._holds_pool:
            self._holds_pool = False
            await asyncio.to_thread(_POOLS.release, self.workers)
            await asyncio.to_thread(_CONTROL.release, 1)

    def _config(self, job: Job, channel: JobChannel) -> dict[str, Any]:
        return {
            "plugin": self.plugin.to_json(),
            "attributes": self.attributes,
            "init_kwargs": self.init_kwargs,
            "channel": channel.folder,
            "dispatch_id": job.dispatch_id,
            "node_id": job.node_ids[0] if job.node_ids else -1,
            "results_dir": channel.results_dir,
        }

    @staticmethod
    def _channel(job_id: str) -> JobChannel:
        from covalent import config

        return JobChannel(str(config.data_dir() / "covalent-plugin-jobs" / (_SAFE.sub("_", job_id) or "job")))

    async def submit(self, job: Job) -> dict[str, Any]:
        channel = self._channel(job.job_id).create()
        pool = _POOLS.get(self.workers)
        self._futures[job.job_id] = pool.schedule(
            invoke, args=("covalent.executor.legacy.worker:run_job", job.payload, self._config(job, channel))
        )
        return {"channel": channel.folder}

    async def wait(self, job: Job, handle: dict[str, Any]) -> JobOutcome:
        future = self._futures.get(job.job_id)
        if future is None:  # a restart: the contract cannot wait for the task again
            await self._stop(job, JobChannel(handle["channel"]))
            raise JobLostError(
                f"{self.short_name} cannot re-attach to job {job.job_id} (Covalent's contract has no way to); "
                "it was stopped and runs again"
            )
        try:
            data = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # the dispatcher stops the job: the executor's own cancel, while the channel still has its handle
            await asyncio.shield(self._stop(job, JobChannel(handle["channel"])))
            raise
        except CancelledError as exc:
            raise JobFailedError(f"{self.short_name} job {job.job_id} was cancelled") from exc
        except Exception as exc:
            message = str(exc)
            first = message.split("\n", 1)[0]
            raise JobFailedError(first, log=message) from exc
        finally:
            self._futures.pop(job.job_id, None)
        return JobOutcome.from_bytes(data)

    async def _stop(self, job: Job, channel: JobChannel) -> bool:
        """Stop what the job may still run: the executor's own cancel with its handle, and its worker."""
        channel.request_cancel()
        stopped = False
        saved = channel.handle()
        if saved is not None:
            config = self._config(job, channel)
            future = _CONTROL.get(1).schedule(
                invoke, args=("covalent.executor.legacy.worker:cancel_task", config, saved), timeout=self.cancel_timeout
            )
            try:
                stopped = bool(await asyncio.wrap_future(future))
            except Exception:
                stopped = False
        return channel.kill_worker() or stopped

    async def cancel(self, job: Job, handle: Any) -> bool:
        channel = JobChannel(handle["channel"]) if handle else self._channel(job.job_id)
        stopped = await self._stop(job, channel)
        future = self._futures.get(job.job_id)
        if future is not None and future.cancel():  # the worker process is terminated
            stopped = True
        return stopped

    async def cleanup(self, job: Job, handle: Any) -> None:
        self._futures.pop(job.job_id, None)
        if handle:
            await asyncio.to_thread(JobChannel(handle["channel"]).remove)


def adapter_class(plugin: LegacyPlugin) -> type[CovalentContractExecutor]:
    """The adapter of one plugin: named ``covalent:<name>``, its config section ``[executors.<name>]``."""
    return type(
        f"Covalent{plugin.class_name}",
        (CovalentContractExecutor,),
        {
            "short_name": plugin.executor_name,
            "covalent_name": plugin.name,
            "plugin": plugin,
            "__module__": __name__,
            "__doc__": f"Covalent's {plugin.class_name} ({plugin.source.label}) on the job model.",
        },
    )
