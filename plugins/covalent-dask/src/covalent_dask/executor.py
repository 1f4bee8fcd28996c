"""``DaskExecutor`` ("dask"): run covalent jobs on a Dask cluster.

Without a ``scheduler_address`` the executor starts a
``distributed.LocalCluster`` (worker processes on this machine) the first
time it is set up; with one it connects to that existing cluster.  Every
instance with the same configuration in one process shares one cluster and
one asynchronous client (see :mod:`covalent_dask.cluster`).

Dask is imported lazily: importing this module costs nothing, which keeps the
server's start-up fast.

Large outputs (``hold_values_over``, 1 MiB) stay on the worker that made them
(:mod:`covalent_dask.worker`): a later job that takes one gets it through a
small Dask task on that worker (:func:`~covalent_dask.worker.serve_value`),
so Dask runs the job there and passes the value without a copy, or moves it
worker to worker as it moves any task result.  The server persists it in the
background through :meth:`DaskExecutor.fetch_held`.

A job that can skip the scheduler (no held inputs, a payload that is not
scattered, a worker thread free of this process's jobs) goes straight to a
worker over the job channel (:mod:`covalent_dask.channel`): one request and
one reply instead of the scheduler's round of messages.  A short job (the
dispatcher's ``expected_seconds`` hint) may also wait in a worker's queue
behind other short jobs, or here for the next free slot, so that a worker
thread goes from one job to the next without a round trip.  A job the worker
refuses (busy) or loses (it died) is submitted as a Dask task.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from covalent.executor.jobs import (
    HeldRef,
    HeldValueLost,
    Job,
    JobExecutor,
    JobFailedError,
    JobInputsLost,
    JobOutcome,
)
from covalent.limits import LIMITS
from covalent_dask.channel import ChannelLost, ChannelReply, JobChannel, Slot, is_short
from covalent_dask.cluster import ClusterCache, ClusterConfig, SharedCluster

__all__ = ["DaskExecutor"]

log = logging.getLogger(__name__)

#: Payloads larger than this are scattered to the cluster instead of being
#: embedded in the task (Dask warns about large task graphs).
SCATTER_BYTES = 1 << 20
#: Seconds between checks that the workers holding a running job's inputs are still there.
HOLDER_CHECK_SECONDS = 1.0


@dataclass(eq=False)
class _RunningJob:
    """A job this process submitted and has not seen end yet."""

    #: Its Dask future, or the task awaiting the channel's reply (``direct``).
    future: Any
    shared: SharedCluster
    #: The job's key: unique per submission, it names the job to the workers' interrupt.
    key: str
    direct: bool = False
    stopping: asyncio.Task[bool] | None = None
    #: A channel job's: resolved when it was stopped before its answer came (it never started).
    abandoned: asyncio.Future[None] | None = None


def _job_key(job: Job) -> str:
    """A key unique per submission: an interrupt can never reach a later run of the job."""
    return f"covalent-job-{job.job_id}-{uuid.uuid4().hex[:8]}"


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Read a channel task's end so that one nobody awaits any more logs nothing."""
    if not task.cancelled():
        task.exception()


class DaskExecutor(JobExecutor):
    """Run tasks on a Dask cluster: a local one started on demand, or an existing one.

    Args:
        scheduler_address: address of an existing Dask scheduler
            (``tcp://host:8786``).  Empty: start a ``LocalCluster`` here.
        n_workers: worker processes of the local cluster (default: sized for
            this machine by Dask).
        threads_per_worker: threads per local worker (default: Dask's choice).
        memory_limit: memory limit per local worker (``"auto"``, ``"4GiB"``,
            bytes, or ``None``/``0`` for no limit).
        processes: local workers are processes (True) or threads of this
            process (False).
        dashboard_address: where the local cluster serves its dashboard:
            this machine only by default (``"127.0.0.1:8787"``; ``":8787"``
            for every interface, ``":0"`` for any free port, ``None`` for none).
        worker_profile: run Dask's statistical profiler in the local
            workers (the Dask dashboard's Profile page); off by default, as
            it delays short tasks (see :class:`~covalent_dask.cluster.ClusterConfig`).
        cancel_grace: seconds a cancelled job gets to stop after it was
            interrupted, before the worker running it is restarted.
        connect_timeout: seconds to wait for the scheduler when connecting.
        job_channel: send a job that can go straight to a worker with a free
            thread over the job channel (:mod:`covalent_dask.channel`), past
            the scheduler; False: every job is a Dask task.
    """

    short_name = "dask"
    #: The dispatcher may pack many small ready nodes into one job.
    max_nodes_per_job = 1024

    #: Shared clusters of every DaskExecutor in this process.
    clusters: ClassVar[ClusterCache] = ClusterCache()
    #: Jobs running through any DaskExecutor of this process, by job id.
    _jobs: ClassVar[dict[str, _RunningJob]] = {}
    #: Outputs this large stay on the worker that made them (see the module's notes).
    hold_values_over = LIMITS.held_value_bytes
    #: The serving task of each held value a job took, by key (kept until the value is released).
    _served: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        scheduler_address: str = "",
        n_workers: int | None = None,
        threads_per_worker: int | None = None,
        memory_limit: str | int | float | None = "auto",
        processes: bool = True,
        dashboard_address: str | None = "127.0.0.1:8787",
        worker_profile: bool = False,
        cancel_grace: float = 10.0,
        connect_timeout: float = 30.0,
        job_channel: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = ClusterConfig(
            scheduler_address=scheduler_address or "",
            n_workers=None if n_workers is None else int(n_workers),
            threads_per_worker=None if threads_per_worker is None else int(threads_per_worker),
            memory_limit=memory_limit,
            processes=bool(processes),
            dashboard_address=dashboard_address or None,  # "" (what TOML can say): none
            worker_profile=bool(worker_profile),
        )
        self.cancel_grace = float(cancel_grace)
        self.connect_timeout = float(connect_timeout)
        self.job_channel = bool(job_channel)
        self._holding = False
        self._token = uuid.uuid4().hex

    # -- lifecycle --------------------------------------------------------
    async def setup(self) -> None:
        """Start the local cluster, or connect to the scheduler (once per configuration)."""
        await self._shared()

    async def teardown(self) -> None:
        """Release this instance's hold; the last holder closes the client and local cluster."""
        if self._holding:
            self._holding = False
            await self.clusters.release(self.config, self._token)

    @classmethod
    async def close_all(cls) -> None:
        """Close every cluster and client the DaskExecutors of this event loop opened."""
        await cls.clusters.close_all()

    async def _shared(self) -> SharedCluster:
        shared = self.clusters.get(self.config)
        if shared is not None and self._holding and self._token in shared.users:
            return shared
        shared = await self.clusters.acquire(self.config, self._token, self.connect_timeout)
        self._holding = True
        return shared

    def describe(self) -> dict[str, Any]:
        """Scheduler address, dashboard link, workers and threads (for ``covalent status``)."""
        shared = self.clusters.get(self.config)
        if shared is None:
            return {
                "cluster": "external" if self.config.external else "local",
                "scheduler_address": self.config.scheduler_address or None,
                "running": False,
            }
        workers, threads, memory = shared.totals()
        return {
            "cluster": "external" if self.config.external else "local",
            "scheduler_address": shared.scheduler_address,
            "dashboard": shared.client.dashboard_link,
            "workers": workers,
            "threads": threads,
            "memory_bytes": memory,
            "running": True,
            "admin_address": shared.admin_address,
        }

    def parallelism(self) -> int:
        """Total worker threads of the cluster (an estimate before setup)."""
        shared = self.clusters.get(self.config)
        if shared is not None:
            threads = shared.totals()[1]
            if threads > 0:
                return threads
        if self.config.n_workers and self.config.threads_per_worker:
            return self.config.n_workers * self.config.threads_per_worker
        import os

        return max(1, os.cpu_count() or 1)

    # -- running ----------------------------------------------------------
    async def run(self, job: Job) -> JobOutcome:
        """Run the job on the cluster and return its outcome.

        A job the channel can take goes straight to a worker with a free
        thread (:mod:`covalent_dask.channel`); any other, or one the worker
        refused or lost, goes through the scheduler.

        Raises :class:`JobFailedError` when Dask fails the job (a worker died
        running it, the scheduler went away, the payload could not run), and
        :class:`asyncio.CancelledError` when :meth:`cancel` stopped it.
        """
        shared = await self._shared()
        channel = shared.channel  # it counts every job of this process in flight, whichever way it goes
        if channel is not None and self.job_channel and not job.held_inputs and len(job.payload) <= SCATTER_BYTES:
            short = is_short(job.metadata.get("expected_seconds"))
            slot = await channel.slot(short)
            if slot is not None:
                outcome = await self._run_direct(job, shared, channel, slot, short)
                if outcome is not None:
                    return outcome
        if channel is None:
            return await self._run_scheduled(job, shared)
        channel.scheduled += 1
        try:
            return await self._run_scheduled(job, shared)
        finally:
            channel.scheduled -= 1

    async def _run_direct(
        self, job: Job, shared: SharedCluster, channel: JobChannel, slot: Slot, short: bool
    ) -> JobOutcome | None:
        """The job's outcome through the channel, or None if the worker did not take it or was lost under it."""
        key = _job_key(job)
        task = asyncio.ensure_future(channel.send(slot, key, job.payload, short=short))
        task.add_done_callback(_retrieve)
        running = _RunningJob(task, shared, key, direct=True)
        running.abandoned = asyncio.get_running_loop().create_future()
        self._jobs[job.job_id] = running
        reply: ChannelReply | None = None
        try:
            # Not cancelled with our caller: the job is stopped by its interrupt, not by closing
            # the connection, which would leave it running on the worker.  A job stopped before
            # it started (it waited in the worker's queue) is given up without its late answer.
            ends: set[asyncio.Future[Any]] = {task, running.abandoned}
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                reply = task.result()
        except asyncio.CancelledError:
            self._begin_stop(job.job_id, running)
            raise
        except ChannelLost as exc:
            if running.stopping is None:
                log.info("dask job %s: %s; submitting it through the scheduler", job.job_id, exc)
        finally:
            if running.stopping is None and self._jobs.get(job.job_id) is running:
                del self._jobs[job.job_id]
        if running.stopping is not None:
            raise asyncio.CancelledError(f"job {job.job_id} was cancelled")
        if reply is None:
            return None
        if reply.status == "OK":
            return JobOutcome.from_bytes(reply.data)
        failure = reply.error or reply.status
        raise JobFailedError(f"dask failed job {job.job_id} ({', '.join(job.names)}): {failure}", log=reply.log)

    async def _run_scheduled(self, job: Job, shared: SharedCluster) -> JobOutcome:
        """The job's outcome through the scheduler (a Dask task)."""
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import run_job

        client = shared.client
        payload: Any = job.payload
        try:
            if len(job.payload) > SCATTER_BYTES:
                payload = await client.scatter(job.payload, hash=False)
            key = _job_key(job)
            held = {k: self._serving(client, ref) for k, ref in job.held_inputs.items()}
            future = client.submit(by_value(run_job), key, payload, held or None, key=key, pure=False)
        except Exception as exc:
            raise JobFailedError(f"dask could not accept job {job.job_id}: {exc!r}", log=_format(exc)) from exc
        running = _RunningJob(future, shared, key)
        self._jobs[job.job_id] = running
        try:
            data = await (self._while_held(client, future, job) if held else future)
        except asyncio.CancelledError:
            # Our caller was cancelled (a dispatcher's cancel or time limit):
            # stop the job too; a following cancel() joins the same stop.
            self._begin_stop(job.job_id, running)
            raise
        except HeldValueLost as exc:  # an input's serving task found it gone: the job never ran
            lost = [k for k in job.held_inputs if k == exc.key] or list(job.held_inputs)
            for k in lost:
                self._served.pop(k, None)
            raise JobInputsLost(lost, f"dask job {job.job_id}: {exc}") from exc
        except Exception as exc:
            if running.stopping is not None:
                raise asyncio.CancelledError(f"job {job.job_id} was cancelled") from exc
            raise JobFailedError(_failure_message(job, exc), log=_format(exc)) from exc
        finally:
            if running.stopping is None and self._jobs.get(job.job_id) is running:
                del self._jobs[job.job_id]
        if running.stopping is not None:
            raise asyncio.CancelledError(f"job {job.job_id} was cancelled")
        return JobOutcome.from_bytes(data)

    # -- values kept on the workers ----------------------------------------
    async def _while_held(self, client: Any, future: Any, job: Job) -> Any:
        """The job's result, or :class:`HeldValueLost` once a worker holding an input it still needs is gone.

        Dask computes a lost serving task again on another worker (where it
        says the value is gone) while it has workers; but a task bound to a
        worker that left while no worker was alive stays unrunnable when new
        ones join (the whole cluster restarted): the job would wait forever.
        """

        async def result() -> Any:
            return await future

        waiting = asyncio.ensure_future(result())
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=HOLDER_CHECK_SECONDS)
                if done:
                    return waiting.result()
                gone = self._holders_gone(job, (client.scheduler_info() or {}).get("workers", {}))
                if gone:  # the client's view may be a few seconds old: the scheduler's is not
                    gone = self._holders_gone(job, (await client.scheduler.identity()).get("workers", {}))
                if gone:
                    await client.cancel([future], force=True)
                    raise HeldValueLost(gone[0].key, gone[0].holder)
        finally:
            waiting.cancel()

    def _holders_gone(self, job: Job, workers: dict[str, Any]) -> list[HeldRef]:
        """Held inputs not yet brought to the job whose holder is not among ``workers``."""
        gone = []
        for key, ref in job.held_inputs.items():
            serving = self._served.get(key)
            if ref.holder not in workers and (serving is None or serving.status != "finished"):
                gone.append(ref)
        return gone

    def _serving(self, client: Any, ref: HeldRef) -> Any:
        """The Dask future serving a held value from its worker (one per value, shared by its consumers)."""
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import serve_value

        future = self._served.get(ref.key)
        if future is None or future.client is not client or future.status in ("error", "cancelled", "lost"):
            future = client.submit(
                by_value(serve_value),
                ref.key,
                key=f"covalent-held-{ref.key}",
                workers=[ref.holder],
                allow_other_workers=True,  # the holder is gone: the task runs elsewhere and says so
                pure=False,
                priority=10,
            )
            self._served[ref.key] = future
        return future

    async def fetch_held(self, ref: HeldRef) -> bytes:
        """A held value's plain pickle, made on its worker and gathered here (bytes only: never unpickled)."""
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import persist_value

        client = (await self._shared()).client
        future = client.submit(
            by_value(persist_value),
            ref.key,
            key=f"covalent-persist-{ref.key}-{uuid.uuid4().hex[:8]}",
            workers=[ref.holder],
            allow_other_workers=True,
            pure=False,
            priority=-10,  # after the jobs waiting to run there
        )
        try:
            data = await future
        finally:
            future.release()
        if not isinstance(data, bytes):
            raise JobFailedError(f"dask returned a {type(data).__name__} for held value {ref.key}, not bytes")
        return data

    @property
    def reads_server_files(self) -> bool:  # type: ignore[override]
        """A local cluster's workers are processes of the server's machine (an external one's may not be)."""
        return not self.config.external

    async def write_held(self, ref: HeldRef, path: str) -> str | None:
        """On a local cluster the holding worker writes the file itself (no copy through the server)."""
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import write_held_file

        if self.config.external:
            return None
        client = (await self._shared()).client
        # Asked of the scheduler (the client's copy may be stale): a gone worker would take a
        # connect timeout to say so.
        if ref.holder not in (await client.scheduler.identity()).get("workers", {}):
            raise HeldValueLost(ref.key, ref.holder)
        answers = await client.run(by_value(write_held_file), ref.key, path, workers=[ref.holder], on_error="return")
        answer = answers.get(ref.holder)
        if isinstance(answer, HeldValueLost):
            raise answer
        if isinstance(answer, OSError):  # it went away since
            raise HeldValueLost(ref.key, f"{ref.holder} ({answer})")
        if isinstance(answer, BaseException) or answer is None:
            raise JobFailedError(f"dask worker {ref.holder} could not write held value {ref.key}: {answer!r}")
        return str(answer)

    async def release_held(self, refs: list[HeldRef]) -> None:
        """Drop the values from their workers, and the tasks that served them."""
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import drop_held

        shared = self.clusters.get(self.config)
        for ref in refs:
            future = self._served.pop(ref.key, None)
            if future is not None:
                future.release()
        if shared is None:
            return
        holders = sorted({ref.holder for ref in refs})
        keys = [ref.key for ref in refs]
        await shared.client.run(by_value(drop_held), keys, workers=holders, on_error="ignore")

    async def cancel(self, job: Job, handle: Any) -> bool:
        """Stop a running job: interrupt its worker thread, restart the worker if that fails.

        Returns True once the job is no longer running (or will never start),
        False if this process is not running the job.
        """
        running = self._jobs.get(job.job_id)
        if running is None:
            return False
        return await asyncio.shield(self._begin_stop(job.job_id, running))

    def _begin_stop(self, job_id: str, running: _RunningJob) -> asyncio.Task[bool]:
        """Start stopping a job, once; the returned task says whether it stopped."""
        if running.stopping is None:
            running.stopping = asyncio.ensure_future(self._stop(job_id, running))

            def forget(stopping: asyncio.Task[bool]) -> None:
                if self._jobs.get(job_id) is running:
                    del self._jobs[job_id]
                stopped = not stopping.cancelled() and stopping.exception() is None and stopping.result()
                if stopped and running.abandoned is not None and not running.abandoned.done():
                    running.abandoned.set_result(None)

            running.stopping.add_done_callback(forget)
        return running.stopping

    async def _stop(self, job_id: str, running: _RunningJob) -> bool:
        from covalent_dask.shipping import by_value
        from covalent_dask.worker import interrupt_job

        client = running.shared.client
        future = running.future
        if future.done():
            return True
        try:
            answers = await client.run(by_value(interrupt_job), running.key, on_error="return")
        except Exception as exc:  # the scheduler is gone: nothing runs there any more
            log.warning("could not reach the dask workers to stop job %s: %r", job_id, exc)
            return False
        hosts = [a for a, answer in answers.items() if answer in ("interrupted", "interrupting")]
        for addr, answer in answers.items():
            if isinstance(answer, BaseException):
                log.warning("dask worker %s could not stop job %s: %r", addr, job_id, answer)
        deadline = time.monotonic() + self.cancel_grace
        while hosts and not future.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        stopped = future.done() or not hosts
        # Release the future: a job still queued never starts, and a worker
        # restarted below does not get the job rescheduled elsewhere.  (A channel
        # job is no Dask task: the interrupt or the restart ends it.)
        try:
            if not running.direct:
                await client.cancel([future], force=True)
        except Exception as exc:
            log.warning("releasing dask job %s failed: %r", job_id, exc)
        if not stopped and not self.config.external and not self.config.processes:
            # Threads of this process: nothing to restart that would end the task.
            log.warning("dask job %s is stuck in a worker thread of this process", job_id)
            return False
        if not stopped:
            log.warning(
                "dask job %s did not stop within %.1fs of its interrupt; restarting %s",
                job_id,
                self.cancel_grace,
                ", ".join(hosts),
            )
            try:
                result = await client.restart_workers(
                    hosts, timeout=max(30.0, self.cancel_grace), raise_for_error=False
                )
            except Exception as exc:
                log.warning("restarting dask workers %s failed: %r", hosts, exc)
                return False
            stopped = all(status in ("OK", "removed") for status in result.values())
        return stopped


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _failure_message(job: Job, exc: BaseException) -> str:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return (
            f"dask job {job.job_id} ({', '.join(job.names)}) killed the workers that ran it "
            f"({exc}); a task probably crashed its process (segfault, out of memory, os._exit)"
        )
    return f"dask failed job {job.job_id} ({', '.join(job.names)}): {exc!r}"
