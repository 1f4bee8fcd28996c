"""``DispatchRun``: the in-memory state machine of one running dispatch.

Everything here runs on the server's event loop and is driven by events:
a job finishing, a child dispatch finishing, a cancel request, a retry
timer.  There is no polling loop.  Every state change is queued to the
single database writer; events reach clients only after the commit.

This module starts a run and schedules, launches and runs its jobs; the rest
of the state machine is in its parts: :mod:`.runstate` (what it holds),
:mod:`.outcomes` (a job ended), :mod:`.cancelling` and :mod:`.ending`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
import uuid
from collections import defaultdict
from typing import Any

from covalent.executor.base import Job, JobFailedError, JobLostError, run_job
from covalent.runtime.outcome import JobOutcome
from covalent.server.dispatcher.cancelling import Cancelling
from covalent.server.dispatcher.ending import Ending
from covalent.server.dispatcher.executors import spec_key
from covalent.server.dispatcher.jobs import JobRecord, failure_text
from covalent.server.dispatcher.outcomes import Outcomes
from covalent.server.dispatcher.payload import build_payload
from covalent.server.dispatcher.planning import plan_jobs
from covalent.server.dispatcher.statuses import COMPLETED, NEW, RUNNING
from covalent.server.store.records import NodeUpdate

__all__ = ["DispatchRun"]

log = logging.getLogger(__name__)


async def _cleanup(rec: JobRecord) -> None:
    """Best-effort removal of what a re-attached job left behind."""
    assert rec.executor is not None and rec.job is not None
    try:
        await rec.executor.cleanup(rec.job, rec.handle)
    except Exception as exc:
        log.warning("cleanup of job %s failed: %s", rec.job_id, exc)


#: Seconds a job's RUNNING rows wait to be written together with its outcome.
_RUNNING_WRITE_DELAY = 0.05


class DispatchRun(Outcomes, Cancelling, Ending):
    # -- starting ----------------------------------------------------------------
    def start(self) -> None:
        """Schedule what can run now (after a fresh start or a restart)."""
        requeue: list[NodeUpdate] = []
        for handle in self.resume_handles.values():
            self._reattach(handle)
        for n, status in self.status.items():
            if status != RUNNING or n in self.in_flight:
                continue
            if n in self.children_runs:
                continue  # its child dispatch reports back when it ends
            self.status[n] = NEW
            requeue.append(NodeUpdate(n, {"status": NEW}))
        if requeue:
            self._write(requeue)
        self._schedule(self._ready_nodes())
        for n, child in list(self.children_runs.items()):
            if self.status.get(n) == RUNNING:
                self.svc.watch_child(self, n, child)
        self._check_finished()

    def _ready_nodes(self) -> list[int]:
        return [
            n
            for n in self.graph.topological_order()
            if self.status.get(n) == NEW
            and self.remaining[n] == 0
            and n not in self.in_flight
            and n not in self.retry_timers
        ]

    # -- scheduling ----------------------------------------------------------------
    def _packable(self, n: int) -> bool:
        node = self.node(n)
        return (
            self.packing
            and node["kind"] != "sublattice"
            and not node.get("retries")
            and not node.get("time_limit")
            and (node["kind"] in ("collection", "operation") or self.svc.durations.is_fast(node["function"]))
        )

    def _hold_unknown(self, ready: list[int], parallelism: int) -> list[int]:
        """Probe functions never timed: run a few alone, hold the rest until one reports."""
        runnable: list[int] = []
        probes: dict[str, int] = defaultdict(int)
        for n in ready:
            node = self.node(n)
            key = node["function"]
            unknown = node["kind"] == "electron" and self.svc.durations.estimate(key) is None
            if not unknown or probes[key] < parallelism:
                probes[key] += 1 if unknown else 0
                runnable.append(n)
            else:
                self.in_flight[n] = "held"
                self.held[key].append(n)
        return runnable

    def _release_held(self, function_keys: set[str]) -> None:
        released: list[int] = []
        for key in function_keys:
            for n in self.held.pop(key, []):
                if self.in_flight.get(n) == "held":
                    self.in_flight.pop(n)
                    if self.status.get(n) == NEW:
                        released.append(n)
        self._schedule(released)

    def _schedule(self, ready: list[int]) -> None:
        if not ready or self.cancel_requested or self.ended:
            return
        groups: dict[str, list[int]] = defaultdict(list)
        for n in ready:
            groups[spec_key(self.node(n).get("executor"))].append(n)
        for nodes in groups.values():
            for n in nodes:
                self.in_flight[n] = "planning"
            self.busy += 1
            asyncio.get_running_loop().create_task(self._plan_and_launch(nodes))

    async def _plan_and_launch(self, ready: list[int]) -> None:
        spec = self.node(ready[0]).get("executor")
        try:
            try:
                executor = await self.svc.executors.get(spec)
            except Exception as exc:
                for n in ready:
                    self.in_flight.pop(n, None)
                self._fail_nodes(ready, f"executor could not be started: {type(exc).__name__}: {exc}")
                return
            if self.cancel_requested or self.ended:
                for n in ready:
                    self.in_flight.pop(n, None)
                return
            key = spec_key(spec)
            parallelism = max(1, executor.parallelism())
            ready = self._hold_unknown(ready, parallelism)
            cap = max(1, executor.max_nodes_per_job)
            electrons = [self.node(n)["function"] for n in ready if self.node(n)["kind"] == "electron"]
            max_nodes = min((self.svc.durations.batch_limit(f, cap) for f in set(electrons)), default=cap)
            plans = plan_jobs(
                self.graph,
                ready,
                max_nodes=max_nodes,
                parallelism=parallelism,
                packable=self._packable,
                fusable=lambda c: (
                    self._packable(c)
                    and self.status.get(c) == NEW
                    and c not in self.in_flight
                    and spec_key(self.node(c).get("executor")) == key
                ),
                done=lambda p: self.status.get(p) == COMPLETED,
            )
            for plan in plans:
                self._launch(plan, spec, executor)
        finally:
            self.busy -= 1
            self._check_finished()

    def _launch(self, node_ids: list[int], spec: Any, executor: Any) -> None:
        job_id = f"{self.dispatch_id}:{node_ids[0]}:{uuid.uuid4().hex[:8]}"
        rec = JobRecord(job_id=job_id, node_ids=node_ids, spec=spec, executor=executor)
        rec.time_limit = self.node(node_ids[0]).get("time_limit") if len(node_ids) == 1 else None
        now = time.time()
        updates = []
        for n in node_ids:
            self.in_flight[n] = job_id
            self.status[n] = RUNNING
            self.attempts[n] = self.attempts.get(n, 0) + 1
            updates.append(NodeUpdate(n, {"status": RUNNING, "start_time": now, "attempts": self.attempts[n]}))
            self.svc.hook(
                "before_task",
                dispatch_id=self.dispatch_id,
                node_id=n,
                name=self.node(n)["name"],
                executor=executor.short_name,
            )
        # A job that ends within a moment writes its RUNNING rows in the same
        # commit as its outcome (one commit per short job instead of two); a
        # longer one shows as RUNNING once the moment has passed.
        rec.running_rows = updates
        loop = asyncio.get_running_loop()
        rec.running_timer = loop.call_later(_RUNNING_WRITE_DELAY, self._write_running, rec)
        self.jobs[job_id] = rec
        rec.task = loop.create_task(self._run(rec))

    def _write_running(self, rec: JobRecord) -> None:
        """Queue the job's held-back RUNNING rows, if they are still to be written."""
        if rec.running_timer is not None:
            rec.running_timer.cancel()
            rec.running_timer = None
        rows, rec.running_rows = rec.running_rows, []
        if rows:
            self._write(rows)

    def _reattach(self, handle: dict[str, Any]) -> None:
        rec = JobRecord(
            job_id=handle["job_id"], node_ids=[int(n) for n in handle["node_ids"]], spec=handle.get("executor")
        )
        rec.handle = handle.get("handle")
        rec.reattach = True
        rec.job = Job(
            job_id=rec.job_id,
            dispatch_id=self.dispatch_id,
            node_ids=tuple(rec.node_ids),
            names=tuple(handle.get("names", [])),
            payload=b"",
        )
        for n in rec.node_ids:
            self.in_flight[n] = rec.job_id
        self.jobs[rec.job_id] = rec
        rec.task = asyncio.get_running_loop().create_task(self._run(rec))

    # -- running a job -------------------------------------------------------------
    async def _pack(self, rec: JobRecord) -> Job:
        payload = await build_payload(
            self.dispatch_id,
            self.graph,
            rec.node_ids,
            self.output_key.__getitem__,
            self.svc.cached_blob,
            self.svc.blob,
        )
        return Job(
            job_id=rec.job_id,
            dispatch_id=self.dispatch_id,
            node_ids=tuple(rec.node_ids),
            names=tuple(self.node(n)["name"] for n in rec.node_ids),
            payload=payload,
            time_limit=rec.time_limit,
            metadata={"executor": rec.executor.short_name if rec.executor else ""},
        )

    async def _run(self, rec: JobRecord) -> None:
        outcome: JobOutcome | None = None
        failure = ""
        try:
            if rec.executor is None:
                rec.executor = await self.svc.executors.get(rec.spec)
            if rec.reattach:
                assert rec.job is not None
                try:
                    outcome = await rec.executor.wait(rec.job, rec.handle)
                    await _cleanup(rec)
                except JobLostError:
                    log.info("job %s is gone after the restart; running it again", rec.job_id)
                    self._requeue(rec, rec.node_ids)
                    return
            else:
                rec.job = await self._pack(rec)

                async def on_handle(handle: Any) -> None:
                    rec.handle = handle
                    self._write_running(rec)  # a re-attachable job is recorded as running at once
                    text = json.dumps(rec.handle_json())
                    await self._write([NodeUpdate(n, {"job_handle": text}) for n in rec.node_ids])

                coro = run_job(rec.executor, rec.job, on_handle)
                if rec.time_limit and not rec.executor.enforces_time_limit:
                    try:
                        outcome = await asyncio.wait_for(coro, timeout=rec.time_limit)
                    except TimeoutError:
                        await self._cancel_backend(rec)
                        failure = f"time limit of {rec.time_limit:g} s exceeded; the task was cancelled"
                else:
                    outcome = await coro
        except asyncio.CancelledError:
            if self.svc.stopping:
                raise  # server shutdown: leave the records as they are, resume later
            self._write_running(rec)  # before the CANCELLED rows, not after them
            await self._cancel_backend(rec)
            self._after_cancel(rec)
            return
        except JobFailedError as exc:
            failure = failure_text(f"{rec.executor.short_name if rec.executor else 'executor'}: {exc}", exc.log)
        except Exception as exc:
            failure = "the executor failed to run the job:\n" + "".join(traceback.format_exception(exc))
        finally:
            self.jobs.pop(rec.job_id, None)
            self._write_running(rec)  # before the outcome: both land in one commit
        if outcome is not None:
            self._apply_outcome(rec, outcome)
        else:
            self._job_failed(rec, failure or "the job ended without an outcome")
        self._check_finished()

    async def _cancel_backend(self, rec: JobRecord) -> None:
        if rec.executor is None or rec.job is None:
            return
        try:
            await asyncio.shield(rec.executor.cancel(rec.job, rec.handle))
        except Exception as exc:
            log.warning("cancelling job %s failed: %s", rec.job_id, exc)
