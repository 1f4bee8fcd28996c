"""``DispatchRun``: the in-memory state machine of one running dispatch.

Everything here runs on the server's event loop and is driven by events:
a job finishing, a child dispatch finishing, a cancel request, a retry
timer.  There is no polling loop.  Every state change is queued to the
single database writer; events reach clients only after the commit.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import traceback
import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from covalent.executor.base import Job, JobFailedError, JobLostError, run_job
from covalent.graph.serialize import blob_key
from covalent.graph.transport_graph import TransportGraph
from covalent.runtime.outcome import JobOutcome
from covalent.server.dispatcher.executors import spec_key
from covalent.server.dispatcher.jobs import JobRecord, failure_text
from covalent.server.dispatcher.payload import build_payload
from covalent.server.dispatcher.planning import plan_jobs
from covalent.server.store.records import NodeUpdate, set_dispatch, update_nodes

if TYPE_CHECKING:
    from covalent.server.dispatcher.service import Dispatcher

__all__ = ["DispatchRun"]

log = logging.getLogger(__name__)

NEW, RUNNING, COMPLETED, FAILED, CANCELLED = "NEW_OBJECT", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"
TERMINAL = {COMPLETED, FAILED, CANCELLED}


async def _cleanup(rec: JobRecord) -> None:
    """Best-effort removal of what a re-attached job left behind."""
    assert rec.executor is not None and rec.job is not None
    try:
        await rec.executor.cleanup(rec.job, rec.handle)
    except Exception as exc:
        log.warning("cleanup of job %s failed: %s", rec.job_id, exc)


#: Outputs up to this size ride along in the final event (base64).
_INLINE_OUTPUT = 64 * 1024
#: Seconds a job's RUNNING rows wait to be written together with its outcome.
_RUNNING_WRITE_DELAY = 0.05


def _backoff(attempt: int) -> float:
    return float(min(30.0, 0.5 * 2 ** max(0, attempt - 1)))


class DispatchRun:
    def __init__(self, svc: Dispatcher, record: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        self.svc = svc
        self.dispatch_id: str = record["dispatch_id"]
        self.root_dispatch_id: str = record["root_dispatch_id"]
        self.parent_dispatch_id: str | None = record.get("parent_dispatch_id")
        self.parent_node_id: int | None = record.get("parent_node_id")
        self.name: str = record["name"]
        manifest = record["manifest"]
        self.output = manifest.get("output", {})
        self.lattice_info = {**manifest.get("lattice", {}), "output": self.output}
        self.started_at = record.get("started_at") or time.time()
        self.packing = bool(manifest.get("lattice", {}).get("task_packing", True))
        self.graph = record.get("graph") or TransportGraph.from_dict(manifest["graph"])
        self.status: dict[int, str] = {}
        self.output_key: dict[int, str] = {}
        self.attempts: dict[int, int] = {}
        self.errors: dict[int, str] = {}
        self.children_runs: dict[int, str] = {}
        self.resume_handles: dict[str, dict[str, Any]] = {}
        for row in rows:
            n = row["node_id"]
            self.status[n] = row["status"]
            self.attempts[n] = row.get("attempts") or 0
            if row.get("output_key"):
                self.output_key[n] = row["output_key"]
            if row.get("sublattice_dispatch_id"):
                self.children_runs[n] = row["sublattice_dispatch_id"]
            if row["status"] == RUNNING and row.get("job_handle"):
                handle = json.loads(row["job_handle"])
                self.resume_handles.setdefault(handle["job_id"], handle)
        self.task_total = sum(1 for n in self.graph.nodes() if n["kind"] != "parameter")
        self._completed_tasks = sum(
            1 for n, s in self.status.items() if s == COMPLETED and self.node(n)["kind"] != "parameter"
        )
        self.remaining: dict[int, int] = {}
        for node in self.graph.nodes():
            n = node["id"]
            self.remaining[n] = sum(1 for p in self.graph.parents(n) if self.status.get(p) != COMPLETED)
        self.in_flight: dict[int, str] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.retry_timers: dict[int, asyncio.TimerHandle] = {}
        self.held: dict[str, list[int]] = defaultdict(list)
        self.busy = 0
        self.cancel_requested = False
        self.finished = asyncio.Event()
        self.ended = False
        #: The dispatch's RUNNING record is committed (a registered run starts after it is).
        self.running_committed = record["status"] == RUNNING
        #: Completed tasks as far as the database has them (what the events have said).
        self.committed_completed = self._completed_tasks

    # -- small helpers ---------------------------------------------------------
    def node(self, n: int) -> dict[str, Any]:
        return self.graph.node(n)

    def completed_count(self) -> int:
        """Task nodes completed so far (kept as a counter: this is asked after every job)."""
        return self._completed_tasks

    def snapshot(self) -> dict[str, Any] | None:
        """The stream's first event for this running dispatch, from committed state only.

        None once the run has ended (its final record may not be committed yet)
        or before its RUNNING record is: the caller reads the database then.
        """
        if self.ended or not self.running_committed:
            return None
        return {
            "kind": "dispatch",
            "snapshot": True,
            "dispatch_id": self.dispatch_id,
            "root_dispatch_id": self.root_dispatch_id,
            "status": RUNNING,
            "completed": self.committed_completed,
            "total": self.task_total,
        }

    def _node_event(self, changes: list[tuple[int, str]]) -> dict[str, Any]:
        return {
            "kind": "nodes",
            "dispatch_id": self.dispatch_id,
            "root_dispatch_id": self.root_dispatch_id,
            "nodes": [{"node_id": n, "status": s} for n, s in changes],
            "completed": self.completed_count(),
            "total": self.task_total,
        }

    def _write(self, updates: list[NodeUpdate], blobs: dict[str, bytes] | None = None) -> asyncio.Future[None]:
        event = self._node_event([(u.node_id, u.values["status"]) for u in updates if "status" in u.values])
        store = self.svc.blobs
        dispatch_id = self.dispatch_id
        if blobs:
            self.svc.pin(blobs)

        def op(conn: Any) -> list[dict[str, Any]]:
            if blobs:
                store.put_many(conn, blobs)
            update_nodes(conn, dispatch_id, updates)
            return [event] if event["nodes"] else []

        future = self.svc.writer.write(op)
        completed = event["completed"]

        def note_committed(f: asyncio.Future[None]) -> None:
            if not f.cancelled() and f.exception() is None:
                self.committed_completed = max(self.committed_completed, completed)

        future.add_done_callback(note_committed)
        if blobs:
            keys = list(blobs)
            future.add_done_callback(lambda _f: self.svc.unpin(keys))
        return future

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

    # -- outcomes --------------------------------------------------------------------
    def _apply_outcome(self, rec: JobRecord, outcome: JobOutcome) -> None:
        updates: list[NodeUpdate] = []
        blobs: dict[str, bytes] = {}
        completed: list[int] = []
        seen: set[int] = set()
        timed: set[str] = set()
        for node in outcome.nodes:
            n = node.node_id
            if n not in self.status or self.in_flight.get(n) != rec.job_id:
                continue
            seen.add(n)
            if node.end_time and node.start_time and self.node(n)["kind"] == "electron":
                key = self.node(n)["function"]
                self.svc.durations.observe(key, node.end_time - node.start_time)
                timed.add(key)
            times = {
                "start_time": node.start_time or None,
                "end_time": node.end_time or None,
                "stdout": node.stdout,
                "stderr": node.stderr,
            }
            if node.status == COMPLETED and node.sublattice is not None:
                self.in_flight.pop(n, None)
                updates.append(NodeUpdate(n, {"stdout": node.stdout, "stderr": node.stderr}))
                asyncio.get_running_loop().create_task(self.svc.start_child(self, n, node.sublattice))
            elif node.status == COMPLETED:
                data = node.output or b""
                key = blob_key(data)
                blobs[key] = data
                self.output_key[n] = key
                self.status[n] = COMPLETED
                self._completed_tasks += 1
                self.in_flight.pop(n, None)
                completed.append(n)
                updates.append(
                    NodeUpdate(n, {"status": COMPLETED, "output_key": key, "error": None, "job_handle": None, **times})
                )
                self.svc.hook(
                    "after_task", dispatch_id=self.dispatch_id, node_id=n, name=self.node(n)["name"], status=COMPLETED
                )
            else:
                self.in_flight.pop(n, None)
                updates.extend(self._node_failed(n, node.error, times))
        unseen = [n for n in rec.node_ids if n not in seen and self.in_flight.get(n) == rec.job_id]
        for n in unseen:  # not run: an input failed in the job, or waits for a sublattice
            self.in_flight.pop(n, None)
            self.status[n] = NEW
            updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None}))
        self._write(updates, blobs)
        self._release_held(timed)
        self._completed(completed)
        self._schedule([n for n in unseen if self.remaining[n] == 0 and self.status[n] == NEW])

    def _completed(self, nodes: list[int]) -> None:
        ready: list[int] = []
        for n in nodes:
            for child in self.graph.children(n):
                self.remaining[child] -= 1
                if self.remaining[child] == 0 and self.status.get(child) == NEW and child not in self.in_flight:
                    ready.append(child)
        self._schedule(ready)

    def _node_failed(self, n: int, error: str, extra: dict[str, Any] | None = None) -> list[NodeUpdate]:
        retries = int(self.node(n).get("retries") or 0)
        extra = dict(extra or {})
        if self.attempts.get(n, 0) <= retries and not self.cancel_requested:
            delay = _backoff(self.attempts[n])
            self.status[n] = RUNNING  # still in progress from the user's point of view
            self.retry_timers[n] = asyncio.get_running_loop().call_later(delay, self._retry, n)
            return [NodeUpdate(n, {"status": RUNNING, "error": error, "job_handle": None, **extra})]
        self.status[n] = FAILED
        self.errors[n] = error
        self.svc.hook("on_task_error", dispatch_id=self.dispatch_id, node_id=n, name=self.node(n)["name"], error=error)
        return [NodeUpdate(n, {"status": FAILED, "error": error, "job_handle": None, **extra})]

    def _retry(self, n: int) -> None:
        self.retry_timers.pop(n, None)
        if self.cancel_requested or self.ended or self.status.get(n) != RUNNING:
            self._check_finished()
            return
        self.status[n] = NEW
        self._schedule([n])

    def _fail_nodes(self, nodes: list[int], error: str) -> None:
        updates: list[NodeUpdate] = []
        for n in nodes:
            updates.extend(self._node_failed(n, error))
        self._write(updates)
        self._check_finished()

    def _job_failed(self, rec: JobRecord, error: str) -> None:
        nodes = [n for n in rec.node_ids if self.in_flight.get(n) == rec.job_id]
        for n in nodes:
            self.in_flight.pop(n, None)
        self._fail_nodes(nodes, error)
        self._release_held({self.node(n)["function"] for n in rec.node_ids})

    def _requeue(self, rec: JobRecord, nodes: list[int]) -> None:
        updates = []
        for n in nodes:
            if self.in_flight.get(n) == rec.job_id:
                self.in_flight.pop(n, None)
            self.status[n] = NEW
            updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None}))
        self._write(updates)
        self._schedule([n for n in nodes if self.remaining[n] == 0])

    # -- children (sublattices) ---------------------------------------------------
    def child_started(self, n: int, child_id: str) -> None:
        self.children_runs[n] = child_id
        self._write([NodeUpdate(n, {"sublattice_dispatch_id": child_id})])

    def child_finished(self, n: int, status: str, output_key: str | None, error: str) -> None:
        if self.status.get(n) in TERMINAL or self.ended:
            return
        if status == COMPLETED and output_key:
            self.status[n] = COMPLETED
            self._completed_tasks += 1
            self.output_key[n] = output_key
            self._write([NodeUpdate(n, {"status": COMPLETED, "output_key": output_key, "end_time": time.time()})])
            self._completed([n])
        elif status == CANCELLED:
            self.status[n] = CANCELLED
            self._write([NodeUpdate(n, {"status": CANCELLED, "end_time": time.time()})])
        else:
            self._fail_nodes([n], f"sublattice dispatch {self.children_runs.get(n)} failed:\n{error}")
        self._check_finished()

    # -- cancelling -----------------------------------------------------------------
    def cancel(self, task_ids: list[int] | None) -> list[int]:
        """Cancel the whole dispatch (None) or some nodes; returns the nodes cancelled."""
        if self.ended:
            return []
        if task_ids is None:
            self.cancel_requested = True
            targets = [n for n, s in self.status.items() if s not in TERMINAL]
        else:
            targets = [n for n in task_ids if self.status.get(n) not in TERMINAL and n in self.status]
        updates: list[NodeUpdate] = []
        jobs_to_cancel: dict[str, set[int]] = defaultdict(set)
        for n in targets:
            timer = self.retry_timers.pop(n, None)
            if timer is not None:
                timer.cancel()
            job_id = self.in_flight.get(n)
            if job_id and job_id in self.jobs:
                jobs_to_cancel[job_id].add(n)
                continue
            if n in self.children_runs and self.status.get(n) == RUNNING:
                self.svc.cancel_child(self.children_runs[n])
            self.in_flight.pop(n, None)
            self.status[n] = CANCELLED
            updates.append(NodeUpdate(n, {"status": CANCELLED, "end_time": time.time()}))
        for job_id, nodes in jobs_to_cancel.items():
            rec = self.jobs[job_id]
            rec.cancelled_nodes |= nodes
            rec.requeue_nodes |= set(rec.node_ids) - nodes
            if rec.task is not None:
                rec.task.cancel()
        self._write(updates)
        self._check_finished()
        return targets

    def _after_cancel(self, rec: JobRecord) -> None:
        self.jobs.pop(rec.job_id, None)
        updates = []
        for n in rec.node_ids:
            if self.in_flight.get(n) != rec.job_id:
                continue
            self.in_flight.pop(n, None)
            if n in rec.cancelled_nodes or self.cancel_requested:
                self.status[n] = CANCELLED
                updates.append(NodeUpdate(n, {"status": CANCELLED, "end_time": time.time(), "job_handle": None}))
            else:
                self.status[n] = NEW
                updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None}))
        self._write(updates)
        self._schedule([n for n in rec.requeue_nodes if self.status.get(n) == NEW and self.remaining[n] == 0])
        self._check_finished()

    # -- the end ----------------------------------------------------------------------
    def _check_finished(self) -> None:
        if self.ended or self.busy or self.jobs or self.retry_timers or self.in_flight:
            return
        if any(s == RUNNING for s in self.status.values()):
            return  # a sublattice is still running
        # Every ready node is scheduled the moment it becomes ready, so with nothing
        # in flight, nothing retrying and no child running, the dispatch is over.
        self.ended = True
        # Queued now, not in a task: the final write joins the batch of the last
        # node updates (one commit instead of two at the end of every dispatch).
        committed, status, output_key, error = self._finish()
        asyncio.get_running_loop().create_task(self._finished(committed, status, output_key, error))

    def _summary(self, status: str, ended_at: float, output_key: str | None, error: str) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for n, s in self.status.items():
            if self.node(n)["kind"] != "parameter":
                counts[s] += 1
        return {
            "dispatch_id": self.dispatch_id,
            "root_dispatch_id": self.root_dispatch_id,
            "parent_dispatch_id": self.parent_dispatch_id,
            "parent_node_id": self.parent_node_id,
            "name": self.name,
            "status": status,
            "started_at": self.started_at,
            "ended_at": ended_at,
            "output_key": output_key,
            "error": error or None,
            "lattice": self.lattice_info,
            "node_counts": dict(counts),
        }

    def _finish(self) -> tuple[asyncio.Future[None], str, str | None, str]:
        """Queue the dispatch's final record; returns the commit's future and the outcome."""
        failed = [n for n, s in self.status.items() if s == FAILED]
        cancelled = self.cancel_requested or any(s == CANCELLED for s in self.status.values())
        output_key = None
        error = ""
        if failed:
            status = FAILED
            names = ", ".join(f"{self.node(n)['name']} (node {n})" for n in failed[:5])
            last = (self.errors.get(failed[0]) or "").strip().splitlines()
            error = f"{len(failed)} task(s) failed: {names}" + (f"\n{last[-1]}" if last else "")
        elif cancelled:
            status = CANCELLED
        elif "node" in self.output:
            output_key = self.output_key.get(self.output["node"])
            status = COMPLETED if output_key else FAILED
            if not output_key:
                error = "the workflow's output node did not produce a value"
        else:
            output_key = self.output.get("value")
            status = COMPLETED
        if status != COMPLETED:  # nodes that never ran stay visible as such
            pending = [n for n, s in self.status.items() if s == NEW]
            if pending and (cancelled and not failed):
                for n in pending:
                    self.status[n] = CANCELLED
                self._write([NodeUpdate(n, {"status": CANCELLED}) for n in pending])
        ended_at = time.time()
        event = {
            "kind": "dispatch",
            "dispatch_id": self.dispatch_id,
            "root_dispatch_id": self.root_dispatch_id,
            "status": status,
            "completed": self.completed_count(),
            "total": self.task_total,
            # What a waiting client needs, so it reads no more after this event.
            "summary": self._summary(status, ended_at, output_key, error),
        }
        small = self.svc.cached_blob(output_key) if output_key else None
        if small is not None and len(small) <= _INLINE_OUTPUT:
            event["output"] = base64.b64encode(small).decode()

        def op(conn: Any) -> list[dict[str, Any]]:
            set_dispatch(
                conn, self.dispatch_id, status=status, ended_at=ended_at, output_key=output_key, error=error or None
            )
            return [event]

        return self.svc.writer.write(op), status, output_key, error

    async def _finished(self, committed: asyncio.Future[None], status: str, output_key: str | None, error: str) -> None:
        await committed
        if status == FAILED:
            self.svc.hook("on_dispatch_error", dispatch_id=self.dispatch_id, error=error)
        else:
            self.svc.hook("after_dispatch", dispatch_id=self.dispatch_id, status=status)
        self.finished.set()
        self.svc.run_finished(self, status, output_key, error)
