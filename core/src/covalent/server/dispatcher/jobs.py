"""One job in flight (its nodes, executor, handle, asyncio task) and running it on its executor.

:func:`run_on_executor` is the executor-facing half of a job's life: get the
set-up executor, submit (or, after a restart, wait for the job it left
running), enforce the time limit, and answer a :class:`JobEnd`.  What the end
means for the dispatch is :class:`~covalent.server.dispatcher.run.DispatchRun`'s
business.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from covalent.executor.jobs import (
    HeldValueLost,
    Job,
    JobExecutor,
    JobFailedError,
    JobInputsLost,
    JobLostError,
    run_job,
)
from covalent.runtime.outcome import JobOutcome
from covalent.server.dispatcher.executors import ExecutorInstances

__all__ = ["JobEnd", "JobRecord", "cancel_on_executor", "failure_text", "run_on_executor"]

log = logging.getLogger(__name__)


@dataclass
class JobRecord:
    job_id: str
    node_ids: list[int]
    spec: dict[str, Any] | None
    executor: JobExecutor | None = None
    job: Job | None = None
    handle: Any = None
    task: asyncio.Task[None] | None = None
    time_limit: float | None = None
    cancelled_nodes: set[int] = field(default_factory=set)
    requeue_nodes: set[int] = field(default_factory=set)
    reattach: bool = False
    #: The RUNNING rows of the job's nodes, held back for a moment (see ``DispatchRun._launch``).
    running_rows: list[Any] = field(default_factory=list)
    running_timer: asyncio.TimerHandle | None = None
    #: Resolves once the job is packed: the next job of the same plan is packed after it, so that
    #: the jobs reach the executor in the order planned (the largest first).
    packed: asyncio.Future[None] | None = None
    #: The ``packed`` of the job planned just before this one (None: the first of its plan).
    after: asyncio.Future[None] | None = None

    def handle_json(self) -> dict[str, Any]:
        assert self.job is not None
        return {
            "job_id": self.job_id,
            "node_ids": self.node_ids,
            "names": list(self.job.names),
            "handle": self.handle,
            "executor": self.spec,
        }


@dataclass
class JobEnd:
    """How a job ended on its executor: an outcome, a failure, or lost (gone after a restart)."""

    outcome: JobOutcome | None = None
    failure: str = ""
    lost: bool = False
    #: Input values (by key) the job was to get by reference and that are gone: it did not run.
    lost_inputs: list[str] = field(default_factory=list)


def failure_text(message: str, log: str = "") -> str:
    return f"{message}\n{log}".strip() if log else message


async def _cleanup(rec: JobRecord) -> None:
    """Best-effort removal of what a re-attached job left behind."""
    assert rec.executor is not None and rec.job is not None
    try:
        await rec.executor.cleanup(rec.job, rec.handle)
    except Exception as exc:
        log.warning("cleanup of job %s failed: %s", rec.job_id, exc)


async def cancel_on_executor(rec: JobRecord) -> None:
    """Ask the executor to stop the job (shielded: it completes even if the caller is cancelled)."""
    if rec.executor is None or rec.job is None:
        return
    try:
        await asyncio.shield(rec.executor.cancel(rec.job, rec.handle))
    except Exception as exc:
        log.warning("cancelling job %s failed: %s", rec.job_id, exc)


#: Jobs past their time limit still being stopped (held here so that they run to the end).
_STOPPING: set[asyncio.Task[None]] = set()


async def _within_time_limit(rec: JobRecord, coro: Awaitable[JobOutcome], limit: float) -> JobEnd:
    """The job's end, or a failure the moment ``limit`` passes: stopping the work goes on in the background.

    Stopping can take a while (a Dask worker stuck in a C call is restarted
    after its grace period, a remote job is cancelled over the network); the
    node must not wait for it.
    """
    job = asyncio.ensure_future(coro)
    try:
        done, _ = await asyncio.wait({job}, timeout=limit)
    except asyncio.CancelledError:
        job.cancel()  # the run was cancelled meanwhile: its caller stops the backend
        raise
    if done:
        return JobEnd(job.result())
    job.cancel()
    stopping = asyncio.get_running_loop().create_task(_stop_late(rec, job))
    _STOPPING.add(stopping)
    stopping.add_done_callback(_STOPPING.discard)
    return JobEnd(failure=f"time limit of {limit:g} s exceeded; the task was cancelled")


async def _stop_late(rec: JobRecord, job: asyncio.Future[JobOutcome]) -> None:
    await asyncio.wait({job})  # its caller's side unwinds (cancelled, or it failed meanwhile: over either way)
    if not job.cancelled():
        job.exception()  # retrieved: it is the time limit that failed the node
    await cancel_on_executor(rec)


async def run_on_executor(
    rec: JobRecord,
    executors: ExecutorInstances,
    pack: Callable[[JobRecord], Awaitable[Job]],
    on_handle: Callable[[Any], Awaitable[None]],
) -> JobEnd:
    """Run ``rec`` to its end; cancelling the caller's task propagates (the caller cancels the backend)."""
    try:
        if rec.executor is None:
            rec.executor = await executors.get(rec.spec)
        if rec.reattach:
            assert rec.job is not None
            try:
                outcome = await rec.executor.wait(rec.job, rec.handle)
            except JobLostError:
                return JobEnd(lost=True)
            await _cleanup(rec)
            return JobEnd(outcome)
        rec.job = await pack(rec)
        coro = run_job(rec.executor, rec.job, on_handle)
        if rec.time_limit and not rec.executor.enforces_time_limit:
            return await _within_time_limit(rec, coro, rec.time_limit)
        return JobEnd(await coro)
    except JobInputsLost as exc:
        return JobEnd(failure=str(exc), lost_inputs=exc.keys)
    except HeldValueLost as exc:  # an input was lost before the job could be packed
        return JobEnd(failure=str(exc), lost_inputs=[exc.key])
    except JobFailedError as exc:
        name = rec.executor.short_name if rec.executor else "executor"
        return JobEnd(failure=failure_text(f"{name}: {exc}", exc.log))
    except Exception as exc:
        return JobEnd(failure="the executor failed to run the job:\n" + "".join(traceback.format_exception(exc)))
