"""``DispatchRun``: the state machine of one running dispatch, every state and transition here.

A node's status moves through :class:`~covalent.status.Status`::

    NEW_OBJECT --ready--> (planning) --launch--> RUNNING --outcome--> COMPLETED
        ^                    |  held until a duration is known        |--> FAILED (no retry left)
        |                    v                                        |--> RUNNING, a retry timer set
        +------ requeued (job lost, input missing, cancelled job) ----+--> CANCELLED
    a sublattice node stays RUNNING while its child dispatch runs; the child's end decides.

A launch records when the job was handed to the executor (``submitted_at``;
the outcome brings when and where the node ran); an attempt that fails and
will be retried is kept in the node's ``history`` (times, worker, error).

The run itself is running until nothing is planned, in flight, retrying or
waiting for a child (:meth:`DispatchRun._check_finished`), then it ends
COMPLETED, FAILED or CANCELLED (:func:`~.ending.decide_end`) with one final
write, and its :attr:`~DispatchRun.ended` future resolves.

Everything runs on the server's event loop and is driven by events: a job
ending, a child dispatch ending, a cancel request, a retry timer; there is no
polling loop.  Every state change is queued to the single database writer
and clients hear of it only after the commit.  The run is given what it
works with (:class:`RunServices`) and reports to no owner: the dispatcher
reads :attr:`DispatchRun.ended` and hands sublattices to ``children``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from covalent.executor.jobs import HeldRef, HeldValueLost, Job
from covalent.graph.compact import CompactGraph
from covalent.graph.node_view import NodeView
from covalent.graph.serialize import blob_key
from covalent.graph.transport_graph import NOT_TASKS
from covalent.limits import LIMITS
from covalent.runtime.outcome import JobOutcome
from covalent.server.dispatcher.blobcache import BlobCache
from covalent.server.dispatcher.columns import FloatColumn, IntColumn, OutputKeys, StatusColumn
from covalent.server.dispatcher.durations import DurationModel
from covalent.server.dispatcher.ending import RunEnd, decide_end, node_counts
from covalent.server.dispatcher.executors import ExecutorInstances, SpecKeys
from covalent.server.dispatcher.held import HeldValues
from covalent.server.dispatcher.hooks import LifecycleHooks
from covalent.server.dispatcher.jobs import JobRecord, cancel_on_executor, run_on_executor
from covalent.server.dispatcher.payload import build_payload
from covalent.server.dispatcher.planning import plan_jobs
from covalent.server.dispatcher.writes import RunWrites
from covalent.server.store.events import DispatchEvent, DispatchSummary, encode_output
from covalent.server.store.models import Attempt, DispatchRecord, NodeRecord
from covalent.server.store.records import NodeUpdate, attempts_json, transfers_json
from covalent.server.store.writer import Writer
from covalent.status import Status

__all__ = ["ChildRuns", "DispatchRun", "RunServices"]

log = logging.getLogger(__name__)

NEW, RUNNING, COMPLETED, FAILED, CANCELLED = (
    Status.NEW_OBJECT,
    Status.RUNNING,
    Status.COMPLETED,
    Status.FAILED,
    Status.CANCELLED,
)

#: Seconds a job's RUNNING rows wait to be written together with its outcome.
RUNNING_WRITE_DELAY = 0.05
#: The end of a failed attempt's error kept in the node's history (the last attempt's is kept whole).
HISTORY_ERROR_CHARS = 8000


def _backoff(attempt: int) -> float:
    return float(min(30.0, 0.5 * 2 ** max(0, attempt - 1)))


class ChildRuns(Protocol):
    """Sublattice dispatches, run by the dispatcher on a run's behalf."""

    def start_child(self, parent: DispatchRun, node_id: int, payload: dict[str, Any]) -> None:
        """Register and start the child dispatch ``payload`` describes, for node ``node_id``."""

    def watch_child(self, parent: DispatchRun, node_id: int, child_id: str) -> None:
        """After a restart: report child ``child_id``'s end to node ``node_id``."""

    def cancel_child(self, child_id: str) -> bool:
        """Cancel child ``child_id``; False if it is not running here (nothing to wait for)."""


@dataclass(frozen=True)
class RunServices:
    """What a run works with, shared by every run of the server."""

    writer: Writer
    blobs: BlobCache
    executors: ExecutorInstances
    durations: DurationModel
    hooks: LifecycleHooks
    children: ChildRuns
    held: HeldValues
    #: A folder on this machine where tasks mirror what they print while they run ("": none).
    live_output: str = ""


class DispatchRun:
    def __init__(self, services: RunServices, record: DispatchRecord, rows: Iterable[NodeRecord]) -> None:
        """``record``: the dispatch, read with its manifest; ``rows``: its nodes' records (read once)."""
        self.svc = services
        self.dispatch_id: str = record.dispatch_id
        self.root_dispatch_id: str = record.root_dispatch_id
        self.parent_dispatch_id: str | None = record.parent_dispatch_id
        self.parent_node_id: int | None = record.parent_node_id
        self.name: str = record.name
        manifest = record.manifest or {}
        self.output = manifest.get("output", {})
        self.lattice_info = {**manifest.get("lattice", {}), "output": self.output}
        self.started_at = record.started_at or time.time()
        #: The dispatch's record as it started (no manifest, no graph): its final summary is made from it.
        self.record = replace(record, manifest=None, graph=None, node_counts=None)
        self.packing = bool(manifest.get("lattice", {}).get("task_packing", True))
        graph = record.graph
        self.graph = CompactGraph.of(graph) if graph is not None else CompactGraph.from_dict(manifest["graph"])
        #: The key of each executor spec the run groups its nodes by (once per spec object).
        self.spec_key = SpecKeys()
        self.writes = RunWrites(services.writer, services.blobs, self.dispatch_id, self.root_dispatch_id)
        # -- per node: status, output, attempts, error, child dispatch (in columns: a million nodes fit) --
        self.status: MutableMapping[int, str] = StatusColumn(self.graph)
        self.output_key: MutableMapping[int, str] = OutputKeys(self.graph)
        self.attempts: MutableMapping[int, int] = IntColumn(self.graph)
        self.errors: dict[int, str] = {}
        self.children_runs: dict[int, str] = {}
        #: Times each node was computed again because a value it made by reference was lost.
        self.recomputed: dict[int, int] = defaultdict(int)
        #: The output key whose storing the run's end waits for (held by reference when the run ended).
        self.awaiting_output: str | None = None
        self.resume_handles: dict[str, dict[str, Any]] = {}
        #: When each node's current attempt was handed to its executor, and its earlier attempts.
        self.submitted: MutableMapping[int, float] = FloatColumn(self.graph)
        self.history: dict[int, list[Attempt]] = {}
        for row in rows:
            n = row.node_id
            self.status[n] = row.status
            self.attempts[n] = row.attempts or 0
            if row.submitted_at:
                self.submitted[n] = row.submitted_at
            if row.history:
                self.history[n] = list(row.history)
            if row.output_key:
                self.output_key[n] = row.output_key
            if row.sublattice_dispatch_id:
                self.children_runs[n] = row.sublattice_dispatch_id
            if row.status == RUNNING and row.job_handle:
                handle = json.loads(row.job_handle)
                self.resume_handles.setdefault(handle["job_id"], handle)
        kind = self.graph.kind
        self.task_total = sum(1 for n in self.graph.node_ids() if kind(n) not in NOT_TASKS)
        self._completed_tasks = sum(1 for n, s in self.status.items() if s == COMPLETED and kind(n) not in NOT_TASKS)
        #: Inputs each node still waits for.
        self.remaining: MutableMapping[int, int] = IntColumn(self.graph)
        status = self.status
        for n in self.graph.node_ids():
            self.remaining[n] = sum(1 for p in self.graph.parents(n) if status.get(p) != COMPLETED)
        # -- work under way --
        #: Node -> "planning", "held" (waits for its function's first duration) or its job's id.
        self.in_flight: dict[int, str] = {}
        self.jobs: dict[str, JobRecord] = {}
        #: Nodes of the jobs in ``jobs`` (launched, not ended): see ``_room``.
        self.launched = 0
        self.retry_timers: dict[int, asyncio.TimerHandle] = {}
        self.held: dict[str, list[int]] = defaultdict(list)
        #: Groups of ready nodes being planned (an executor being set up, say).
        self.busy = 0
        self.cancel_requested = False
        #: The server is stopping: jobs are left as they are, to be resumed.
        self.stopping = False
        self.over = False
        #: Resolves with how the run ended, once its final record is committed.
        self.ended: asyncio.Future[RunEnd] = asyncio.get_running_loop().create_future()
        #: The dispatch's RUNNING record is committed (a registered run starts after it is).
        self.running_committed = record.status == RUNNING
        #: Completed tasks as far as the database has them (what the events have said).
        self.committed_completed = self._completed_tasks

    # -- reading ------------------------------------------------------------------
    def node(self, n: int) -> NodeView:
        """What the run reads of node ``n`` (its kind, function, executor, ...): typed, shared, read-only."""
        return self.graph.view(n)

    def completed_count(self) -> int:
        """Task nodes completed so far (kept as a counter: this is asked after every job)."""
        return self._completed_tasks

    def snapshot(self) -> DispatchEvent | None:
        """The stream's first event for this running dispatch, from committed state only.

        None once the run has ended (its final record may not be committed yet)
        or before its RUNNING record is: the caller reads the database then.
        """
        if self.over or not self.running_committed:
            return None
        return DispatchEvent(
            self.dispatch_id, self.root_dispatch_id, RUNNING, self.committed_completed, self.task_total, snapshot=True
        )

    def _write(
        self,
        updates: list[NodeUpdate],
        blobs: dict[str, bytes] | None = None,
        previews: dict[str, str] | None = None,
        held: list[tuple[str, int, str, dict[str, Any]]] | None = None,
    ) -> asyncio.Future[None]:
        completed = self._completed_tasks
        future = self.writes.nodes(
            updates, blobs, completed=completed, total=self.task_total, previews=previews, held=held
        )

        def note_committed(f: asyncio.Future[None]) -> None:
            if not f.cancelled() and f.exception() is None:
                self.committed_completed = max(self.committed_completed, completed)

        future.add_done_callback(note_committed)
        return future

    # -- starting -------------------------------------------------------------------
    def mark_running(self, started_at: float) -> None:
        """Record the dispatch as RUNNING (a registered dispatch starting for the first time)."""
        self.started_at = started_at
        event = DispatchEvent(self.dispatch_id, self.root_dispatch_id, RUNNING, self._completed_tasks, self.task_total)

        def committed(f: asyncio.Future[None]) -> None:
            self.running_committed = not f.cancelled() and f.exception() is None

        self.writes.dispatch(event, status=RUNNING, started_at=started_at).add_done_callback(committed)

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
                self.svc.children.watch_child(self, n, child)
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

    # -- scheduling: ready nodes -> planned jobs ---------------------------------------
    def _packable(self, n: int) -> bool:
        node = self.node(n)
        return (
            self.packing
            and node.kind != "sublattice"
            and node.kind != "postprocess"
            and not node.retries
            and not node.time_limit
            and (node.kind in ("collection", "operation") or self.svc.durations.is_fast(node.function))
        )

    def _hold_unknown(self, ready: list[int], parallelism: int) -> list[int]:
        """Probe functions never timed: run a few alone, hold the rest until one reports."""
        runnable: list[int] = []
        probes: dict[str, int] = defaultdict(int)
        for n in ready:
            node = self.node(n)
            key = node.function
            unknown = node.kind == "electron" and self.svc.durations.estimate(key) is None
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
        if not ready or self.cancel_requested or self.over:
            return
        postprocess = [n for n in ready if self.node(n).kind == "postprocess"]
        if postprocess:  # a workflow's return-value node runs nothing: it takes its input's output here
            self._take_input_outputs(postprocess)
            ready = [n for n in ready if self.node(n).kind != "postprocess"]
        groups: dict[str, list[int]] = defaultdict(list)
        for n in ready:
            groups[self.spec_key(self.node(n).executor)].append(n)
        for nodes in groups.values():
            for n in nodes:
                self.in_flight[n] = "planning"
            self.busy += 1
            asyncio.get_running_loop().create_task(self._plan_and_launch(nodes))

    async def _plan_and_launch(self, ready: list[int]) -> None:
        spec = self.node(ready[0]).executor
        try:
            try:
                executor = await self.svc.executors.get(spec)
            except Exception as exc:
                for n in ready:
                    self.in_flight.pop(n, None)
                    # An attempt like any other: counted against retries, so a broken executor never loops.
                    self.attempts[n] = self.attempts.get(n, 0) + 1
                self._write([NodeUpdate(n, {"attempts": self.attempts[n]}) for n in ready])
                self._fail_nodes(ready, f"executor could not be started: {type(exc).__name__}: {exc}")
                return
            if self.cancel_requested or self.over:
                for n in ready:
                    self.in_flight.pop(n, None)
                return
            key = self.spec_key(spec)
            parallelism = max(1, executor.parallelism())
            ready = self._hold_unknown(ready, parallelism)
            cap = max(1, executor.max_nodes_per_job)
            electrons = [self.node(n).function for n in ready if self.node(n).kind == "electron"]
            functions = set(electrons)
            max_nodes = min((self.svc.durations.batch_limit(f, cap) for f in functions), default=cap)
            min_nodes = min((self.svc.durations.least_batch(f, cap) for f in functions), default=cap)
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
                    and self.spec_key(self.node(c).executor) == key
                ),
                done=lambda p: self.status.get(p) == COMPLETED,
                min_nodes=min_nodes,
            )
            after: asyncio.Future[None] | None = None
            for i, plan in enumerate(plans):
                if self._backed_up():
                    await self._room()
                    if self.cancel_requested or self.over or self.stopping:
                        self._unplan([n for rest in plans[i:] for n in rest])
                        return
                    if any(self.in_flight.get(n) != "planning" for n in plan):  # some were cancelled meanwhile
                        self._unplan(plan)
                        self._schedule([n for n in plan if self.status.get(n) == NEW and self.remaining[n] == 0])
                        continue
                after = self._launch(plan, spec, executor, after)
        finally:
            self.busy -= 1
            self._check_finished()

    def _backed_up(self) -> bool:
        return self.launched + self.writes.backlog > LIMITS.unsettled_rows

    async def _room(self) -> None:
        """Wait while this run's launched nodes and the rows waiting for the writer are over the bound.

        Every job that ends queues its rows, so what waits to be committed stays
        about ``LIMITS.unsettled_rows`` rows, however far the database falls
        behind (a big dispatch's node rows being written, a slow disk): it was a
        row's values per task of the whole map, held until the writer caught up.
        """
        if self._backed_up():
            log.debug(
                "dispatch %s waits for the writer: %d nodes launched, %d rows queued",
                self.dispatch_id,
                self.launched,
                self.writes.backlog,
            )
        while self._backed_up() and not (self.cancel_requested or self.over or self.stopping):
            await self.writes.committed(timeout=1.0)

    def _unplan(self, nodes: list[int]) -> None:
        """Planned nodes that will not be launched now: no longer in flight."""
        for n in nodes:
            if self.in_flight.get(n) == "planning":
                self.in_flight.pop(n)

    def _forget_job(self, rec: JobRecord) -> None:
        if self.jobs.pop(rec.job_id, None) is not None:
            self.launched -= len(rec.node_ids)

    # -- launching: planned -> RUNNING -------------------------------------------------
    def _launch(
        self, node_ids: list[int], spec: Any, executor: Any, after: asyncio.Future[None] | None = None
    ) -> asyncio.Future[None]:
        """Start a job of ``node_ids``, packed once ``after`` (the previous job of its plan) is; its ``packed``."""
        loop = asyncio.get_running_loop()
        job_id = f"{self.dispatch_id}:{node_ids[0]}:{uuid.uuid4().hex[:8]}"
        rec = JobRecord(job_id=job_id, node_ids=node_ids, spec=spec, executor=executor)
        rec.packed, rec.after = loop.create_future(), after
        rec.time_limit = self.node(node_ids[0]).time_limit if len(node_ids) == 1 else None
        now = time.time()
        updates = []
        for n in node_ids:
            self.in_flight[n] = job_id
            self.status[n] = RUNNING
            self.attempts[n] = self.attempts.get(n, 0) + 1
            self.submitted[n] = now
            update = {
                "status": RUNNING,
                "start_time": now,  # until the outcome says when it started where it ran
                "end_time": None,  # an earlier attempt's end is in the node's history
                "submitted_at": now,
                "attempts": self.attempts[n],
            }
            updates.append(NodeUpdate(n, update))
            self.svc.hooks.notify(
                "before_task",
                dispatch_id=self.dispatch_id,
                node_id=n,
                name=self.node(n).name,
                executor=executor.short_name,
            )
        # A job that ends within a moment writes its RUNNING rows in the same
        # commit as its outcome (one commit per short job instead of two); a
        # longer one shows as RUNNING once the moment has passed.
        rec.running_rows = updates
        rec.running_timer = loop.call_later(RUNNING_WRITE_DELAY, self._write_running, rec)
        self.jobs[job_id] = rec
        self.launched += len(node_ids)
        rec.task = loop.create_task(self._run(rec))
        return rec.packed

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
        self.launched += len(rec.node_ids)
        rec.task = asyncio.get_running_loop().create_task(self._run(rec))

    async def _job_for(self, rec: JobRecord) -> Job:
        """The job's payload and description, packed after the job planned before it."""
        try:
            if rec.after is not None:
                await asyncio.wait({rec.after})  # however that one ended
            return await self._pack(rec)
        finally:
            self._pack_next(rec)

    @staticmethod
    def _pack_next(rec: JobRecord) -> None:
        """The job planned after ``rec`` may be packed now (``rec`` is, or it waits for an input, or it failed)."""
        if rec.packed is not None and not rec.packed.done():
            rec.packed.set_result(None)

    async def _pack(self, rec: JobRecord) -> Job:
        blobs = self.svc.blobs
        executor = rec.executor.short_name if rec.executor else ""
        metadata: dict[str, Any] = {"executor": executor}
        expected = self._expected_seconds(rec.node_ids)
        if expected is not None:  # an executor may queue a job it knows to be short (the Dask job channel)
            metadata["expected_seconds"] = expected
        files_handled_by = ""
        files = {n: self.node(n).files for n in rec.node_ids if self.node(n).files}
        if files:  # only jobs with file transfers ask (no cost for the others)
            metadata["files"] = files
            transfers = [t for node_files in files.values() for t in node_files]
            if self.svc.hooks.ask("handles_file_transfers", executor=executor, transfers=transfers):
                files_handled_by = executor
        held, value_files = await self._inputs_by_reference(rec)
        hold_over = rec.executor.hold_values_over if rec.executor else None
        payload = await build_payload(
            self.dispatch_id,
            self.graph,
            rec.node_ids,
            self.output_key.__getitem__,
            blobs.cached,
            blobs.get_many,
            files_handled_by=files_handled_by,
            live_output=self.svc.live_output,
            held=set(held),
            hold_bytes=hold_over,
            value_files=value_files,
        )
        return Job(
            job_id=rec.job_id,
            dispatch_id=self.dispatch_id,
            node_ids=tuple(rec.node_ids),
            names=tuple(self.node(n).name for n in rec.node_ids),
            payload=payload,
            time_limit=rec.time_limit,
            metadata=metadata,
            held_inputs=held,
        )

    def _expected_seconds(self, node_ids: list[int]) -> float | None:
        """How long the job's nodes took so far (their functions' running means); None if one is unknown."""
        total = 0.0
        for n in node_ids:
            node = self.node(n)
            if node.kind in ("collection", "operation"):
                continue  # built-ins: no time to speak of
            if node.kind != "electron":
                return None
            estimate = self.svc.durations.estimate(node.function)
            if estimate is None:
                return None
            total += estimate
        return total

    async def _inputs_by_reference(self, rec: JobRecord) -> tuple[dict[str, HeldRef], dict[str, str]]:
        """Inputs held by reference: those the executor brings from where they are held, and files.

        Any other held input is waited for until it is stored; an executor on
        this machine (``reads_server_files``) then reads it from its file, by
        path.  Raises :class:`HeldValueLost` when an input was lost before it was stored.
        """
        held: dict[str, HeldRef] = {}
        files: dict[str, str] = {}
        held_values = self.svc.held
        if not held_values:  # nothing is held by reference: no input can be
            # (and a gather of a million inputs made no million edges and keys on the event loop here)
            return held, files
        inside = set(rec.node_ids)
        output_key = self.output_key
        keys = {
            output_key[source]
            for n in rec.node_ids
            for source, _index, _key, wait in self.graph.in_edge_tuples(n)
            if not wait and source not in inside and source in output_key
        }
        for key in keys:
            ref = held_values.routable(key, rec.spec)
            if ref is not None:
                held[key] = ref
            elif held_values.entry(key) is not None:
                self._pack_next(rec)  # storing it may take a while: the jobs planned after this one go on
                await held_values.stored(key)  # another executor's value: its bytes are needed here
                if rec.executor is not None and rec.executor.reads_server_files:
                    files[key] = str(self.svc.blobs.store.file_path(key))
        return held, files

    async def _run(self, rec: JobRecord) -> None:
        async def on_handle(handle: Any) -> None:
            rec.handle = handle
            self._write_running(rec)  # a re-attachable job is recorded as running at once
            text = json.dumps(rec.handle_json())
            await self._write([NodeUpdate(n, {"job_handle": text}) for n in rec.node_ids])

        try:
            end = await run_on_executor(rec, self.svc.executors, self._job_for, on_handle)
        except asyncio.CancelledError:
            if self.stopping:
                raise  # server shutdown: leave the records as they are, resume later
            self._write_running(rec)  # before the CANCELLED rows, not after them
            await cancel_on_executor(rec)
            self._job_cancelled(rec)
            return
        finally:
            self._forget_job(rec)
            self._write_running(rec)  # before the outcome: both land in one commit
            self._pack_next(rec)  # never packed (it failed first): the next job goes on
        if end.lost:
            log.info("job %s is gone after the restart; running it again", rec.job_id)
            self._requeue(rec, rec.node_ids)
            return
        if end.lost_inputs:
            self._inputs_lost(rec, end.lost_inputs, end.failure)
            self._check_finished()
            return
        if end.outcome is not None:
            self._apply_outcome(rec, end.outcome)
        else:
            self._job_failed(rec, end.failure or "the job ended without an outcome")
        self._check_finished()

    # -- a job ended: RUNNING -> COMPLETED / FAILED / retrying / NEW --------------------
    def _apply_outcome(self, rec: JobRecord, outcome: JobOutcome) -> None:
        updates: list[NodeUpdate] = []
        blobs: dict[str, bytes] = {}
        previews: dict[str, str] = {}
        held: list[tuple[str, int, str, dict[str, Any]]] = []
        completed: list[int] = []
        seen: set[int] = set()
        timed: set[str] = set()
        for node in outcome.nodes:
            n = node.node_id
            if n not in self.status or self.in_flight.get(n) != rec.job_id:
                continue
            seen.add(n)
            if node.end_time and node.start_time and self.node(n).kind == "electron":
                key = self.node(n).function
                self.svc.durations.observe(key, node.end_time - node.start_time)
                timed.add(key)
            times = {
                "start_time": node.start_time or None,
                "end_time": node.end_time or None,
                "stdout": node.stdout,
                "stderr": node.stderr,
                "worker": node.worker[:256] or None,
            }
            if node.transfers:
                times["transfers"] = transfers_json(node.transfers)
            if node.status == COMPLETED and node.sublattice is not None:
                self.in_flight.pop(n, None)
                updates.append(NodeUpdate(n, {k: v for k, v in times.items() if not k.endswith("_time")}))
                self.svc.children.start_child(self, n, node.sublattice)
            elif node.status == COMPLETED:
                if node.held is not None and rec.executor is not None:
                    ref = HeldRef(node.held["key"], node.held["size"], node.held["holder"])
                    key = ref.key
                    held.append((key, ref.size, node.preview, self.svc.held.location(ref, rec.spec)))
                    # Stored at once unless tasks on the same executor wait for it (a return value,
                    # another executor's task: they need it stored); else those reach its worker first.
                    here = self.spec_key(rec.spec)
                    waited = all(
                        self.node(c).kind != "postprocess" and self.spec_key(self.node(c).executor) == here
                        for c in self.graph.children(n)
                    )
                    delay = LIMITS.held_persist_delay if waited else 0.0
                    self.svc.held.record(self.dispatch_id, rec.spec, rec.executor, ref, delay=delay)
                else:
                    data = node.output or b""
                    key = blob_key(data)
                    blobs[key] = data
                    previews[key] = node.preview
                self.output_key[n] = key
                self.status[n] = COMPLETED
                self._completed_tasks += 1
                self.in_flight.pop(n, None)
                completed.append(n)
                updates.append(
                    NodeUpdate(n, {"status": COMPLETED, "output_key": key, "error": None, "job_handle": None, **times})
                )
                self._after_task(n, COMPLETED)
            else:
                self.in_flight.pop(n, None)
                updates.extend(self._node_failed(n, node.error, times))
        unseen = [n for n in rec.node_ids if n not in seen and self.in_flight.get(n) == rec.job_id]
        for n in unseen:  # not run: an input failed in the job, or waits for a sublattice
            self.in_flight.pop(n, None)
            self.status[n] = NEW
            updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None}))
        self._write(updates, blobs, previews, held)
        self._release_held(timed)
        if self.svc.held:
            self._inputs_consumed(completed)
        self._completed(completed)
        self._schedule([n for n in unseen if self.remaining[n] == 0 and self.status[n] == NEW])

    def _inputs_consumed(self, nodes: list[int]) -> None:
        """Values held by reference that every consumer has now taken may leave their holder (once stored)."""
        for n in nodes:
            for p in self.graph.parents(n):
                key = self.output_key.get(p)
                if key is None or self.svc.held.entry(key) is None:
                    continue
                if all(
                    self.status.get(c) == COMPLETED or self.node(c).kind == "postprocess"
                    for c in self.graph.children(p)
                ):
                    self.svc.held.done_with(key)

    def _after_task(self, n: int, status: Status) -> None:
        self.svc.hooks.notify(
            "after_task", dispatch_id=self.dispatch_id, node_id=n, name=self.node(n).name, status=status
        )

    def _take_input_outputs(self, nodes: list[int]) -> None:
        """Complete postprocessing nodes with their one input's output, at once (no job, no executor)."""
        now = time.time()
        updates: list[NodeUpdate] = []
        done: list[int] = []
        for n in nodes:
            sources = [e.source for e in self.graph.in_edges(n) if not e.wait]
            key = self.output_key.get(sources[0]) if len(sources) == 1 else None
            if key is None:
                updates.extend(self._node_failed(n, "the workflow's return value has no recorded output"))
                continue
            self.status[n] = COMPLETED
            self.output_key[n] = key
            done.append(n)
            updates.append(
                NodeUpdate(
                    n, {"status": COMPLETED, "output_key": key, "error": None, "start_time": now, "end_time": now}
                )
            )
        self._write(updates)
        self._completed(done)

    def _completed(self, nodes: list[int]) -> None:
        ready: list[int] = []
        for n in nodes:
            for child in self.graph.children(n):
                self.remaining[child] -= 1
                if self.remaining[child] == 0 and self.status.get(child) == NEW and child not in self.in_flight:
                    ready.append(child)
        self._schedule(ready)

    def _node_failed(self, n: int, error: str, extra: dict[str, Any] | None = None) -> list[NodeUpdate]:
        retries = int(self.node(n).retries or 0)
        extra = dict(extra or {})
        if self.attempts.get(n, 0) <= retries and not self.cancel_requested:
            delay = _backoff(self.attempts[n])
            self.status[n] = RUNNING  # still in progress from the user's point of view
            self.retry_timers[n] = asyncio.get_running_loop().call_later(delay, self._retry, n)
            extra["history"] = self._attempt_done(n, error, extra)
            return [NodeUpdate(n, {"status": RUNNING, "error": error, "job_handle": None, **extra})]
        self.status[n] = FAILED
        self.errors[n] = error
        extra.setdefault("end_time", time.time())  # every failed node says when it ended
        self.svc.hooks.notify(
            "on_task_error", dispatch_id=self.dispatch_id, node_id=n, name=self.node(n).name, error=error
        )
        return [NodeUpdate(n, {"status": FAILED, "error": error, "job_handle": None, **extra})]

    def _attempt_done(self, n: int, error: str, times: dict[str, Any]) -> str:
        """Keep the attempt that just failed (to be retried) in the node's history; the history as stored."""
        end = times.get("end_time") or time.time()
        attempt = Attempt(
            attempt=self.attempts.get(n, 0),
            status=FAILED,
            submitted_at=self.submitted.get(n),
            start_time=times.get("start_time") or self.submitted.get(n),
            end_time=end,
            worker=times.get("worker"),
            error=error[-HISTORY_ERROR_CHARS:],
        )
        self.history.setdefault(n, []).append(attempt)
        return attempts_json(self.history[n])

    def _retry(self, n: int) -> None:
        self.retry_timers.pop(n, None)
        if self.cancel_requested or self.over or self.status.get(n) != RUNNING:
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
        self._release_held({self.node(n).function for n in rec.node_ids})

    def _requeue(self, rec: JobRecord, nodes: list[int]) -> None:
        updates = []
        for n in nodes:
            if self.in_flight.get(n) == rec.job_id:
                self.in_flight.pop(n, None)
            self.status[n] = NEW
            updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None}))
        self._write(updates)
        self._schedule([n for n in nodes if self.remaining[n] == 0])

    # -- a value handed on by reference was lost: COMPLETED -> NEW for the node that made it --
    def _inputs_lost(self, rec: JobRecord, keys: list[str], failure: str) -> bool:
        """Compute again the nodes whose outputs ``keys`` were lost, then the job's nodes (attempts kept).

        False (and the job's nodes FAILED) when that cannot be done.
        """
        # A value already stored is read from the store from now on: nothing to compute again.
        for key in keys:
            if self.svc.held.is_stored(key):
                self.svc.held.unroute(key)
        lost = {key for key in keys if not self.svc.held.is_stored(key)}
        producers = [
            n
            for n, key in self.output_key.items()
            if key in lost and self.status.get(n) == COMPLETED and self.node(n).kind not in ("parameter", "postprocess")
        ]
        nodes = [n for n in rec.node_ids if self.in_flight.get(n) == rec.job_id]
        over = [n for n in producers if self.recomputed[n] >= LIMITS.recompute_attempts]
        if over or (lost and not producers):
            for n in nodes:
                self.in_flight.pop(n, None)
            why = (
                f"an input was lost before it was stored, {LIMITS.recompute_attempts} times: {failure}"
                if over
                else f"an input was lost and no node of this dispatch made it: {failure}"
            )
            self._fail_nodes(nodes, why)
            return False
        updates: list[NodeUpdate] = []
        for n in producers:
            log.warning("dispatch %s: the output of node %d was lost; computing it again", self.dispatch_id, n)
            self.recomputed[n] += 1
            self.status[n] = NEW
            self.output_key.pop(n, None)
            if self.node(n).kind not in NOT_TASKS:
                self._completed_tasks -= 1
            for child in self.graph.children(n):
                self.remaining[child] += 1
            updates.append(NodeUpdate(n, {"status": NEW, "output_key": None, "end_time": None}))
        for n in nodes:
            self.in_flight.pop(n, None)
            self.status[n] = NEW
            self.attempts[n] = max(0, self.attempts.get(n, 0) - 1)  # it did not run
            updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None, "attempts": self.attempts[n]}))
        self._write(updates)
        self._schedule([n for n in producers + nodes if self.remaining[n] == 0])
        return True

    def _output_lost(self, key: str) -> None:
        """The dispatch's return value was lost before it was stored: compute it again."""
        post = [n for n, k in self.output_key.items() if k == key and self.node(n).kind == "postprocess"]
        for n in post:  # it takes the recomputed value when that is ready (_inputs_lost counts it waiting)
            self.status[n] = NEW
            self.output_key.pop(n, None)
        rec = JobRecord(job_id="", node_ids=[], spec=None)
        if self._inputs_lost(rec, [key], "the workflow's return value"):
            if post:
                self._write([NodeUpdate(n, {"status": NEW, "output_key": None}) for n in post])
        else:
            self._fail_nodes(post, f"the workflow's return value {key} was lost before it was stored")

    # -- sublattices: a node RUNNING while its child dispatch runs ------------------------
    def child_started(self, n: int, child_id: str) -> None:
        self.children_runs[n] = child_id
        self._write([NodeUpdate(n, {"sublattice_dispatch_id": child_id})])

    def child_failed_to_start(self, n: int, error: str) -> None:
        self._fail_nodes([n], error)

    def child_finished(self, n: int, end: RunEnd) -> None:
        if self.status.get(n) in (COMPLETED, FAILED, CANCELLED) or self.over:
            return
        if end.status == COMPLETED and end.output_key:
            self.status[n] = COMPLETED
            self._completed_tasks += 1
            self.output_key[n] = end.output_key
            self._write([NodeUpdate(n, {"status": COMPLETED, "output_key": end.output_key, "end_time": time.time()})])
            self._after_task(n, COMPLETED)
            self._completed([n])
        elif end.status == CANCELLED:
            self.status[n] = CANCELLED
            self._write([NodeUpdate(n, {"status": CANCELLED, "end_time": time.time()})])
            self._after_task(n, CANCELLED)
        else:
            self._fail_nodes([n], f"sublattice dispatch {self.children_runs.get(n)} failed:\n{end.error}")
        self._check_finished()

    # -- cancelling: -> CANCELLED --------------------------------------------------------
    def cancel(self, task_ids: list[int] | None) -> list[int]:
        """Cancel the whole dispatch (None) or some nodes; returns the nodes cancelled."""
        if self.over:
            return []
        terminal = (COMPLETED, FAILED, CANCELLED)
        if task_ids is None:
            self.cancel_requested = True
            targets = [n for n, s in self.status.items() if s not in terminal]
        else:
            targets = [n for n in task_ids if self.status.get(n) not in terminal and n in self.status]
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
            was_running = self.status.get(n) == RUNNING  # a sublattice's child, or a retry's wait
            # A sublattice node ends CANCELLED when its child dispatch has (child_finished):
            # until then the child still runs, and so does this dispatch.
            if n in self.children_runs and was_running and self.svc.children.cancel_child(self.children_runs[n]):
                continue
            self.in_flight.pop(n, None)
            self.status[n] = CANCELLED
            updates.append(NodeUpdate(n, {"status": CANCELLED, "end_time": time.time()}))
            if was_running:
                self._after_task(n, CANCELLED)
        for job_id, nodes in jobs_to_cancel.items():
            rec = self.jobs[job_id]
            rec.cancelled_nodes |= nodes
            rec.requeue_nodes |= set(rec.node_ids) - nodes
            if rec.task is not None:
                rec.task.cancel()
        self._write(updates)
        self._check_finished()
        return targets

    def _job_cancelled(self, rec: JobRecord) -> None:
        self._forget_job(rec)
        updates = []
        for n in rec.node_ids:
            if self.in_flight.get(n) != rec.job_id:
                continue
            self.in_flight.pop(n, None)
            if n in rec.cancelled_nodes or self.cancel_requested:
                self.status[n] = CANCELLED
                updates.append(NodeUpdate(n, {"status": CANCELLED, "end_time": time.time(), "job_handle": None}))
                self._after_task(n, CANCELLED)
            else:
                self.status[n] = NEW
                updates.append(NodeUpdate(n, {"status": NEW, "job_handle": None}))
        self._write(updates)
        self._schedule([n for n in rec.requeue_nodes if self.status.get(n) == NEW and self.remaining[n] == 0])
        self._check_finished()

    def stop(self) -> list[asyncio.Task[None]]:
        """The server is stopping: stop timers, cancel job tasks (records stay, to resume); the tasks."""
        self.stopping = True
        for timer in self.retry_timers.values():
            timer.cancel()
        tasks = [rec.task for rec in self.jobs.values() if rec.task]
        for task in tasks:
            task.cancel()
        return tasks

    # -- the end: RUNNING -> COMPLETED / FAILED / CANCELLED -------------------------------
    def _check_finished(self) -> None:
        if self.over or self.busy or self.jobs or self.retry_timers or self.in_flight:
            return
        if any(s == RUNNING for s in self.status.values()):
            return  # a sublattice is still running
        # Every ready node is scheduled the moment it becomes ready, so with nothing
        # in flight, nothing retrying and no child running, the dispatch is over.
        end = decide_end(
            self.status,
            self.errors,
            self.output_key,
            self.output,
            cancel_requested=self.cancel_requested,
            name_of=lambda n: str(self.node(n).name),
        )
        if end.status == COMPLETED and end.output_key and self.svc.held.pending(end.output_key):
            self._await_output(end.output_key)  # a result is COMPLETED only once it is stored
            return
        self.over = True
        # Queued now, not in a task: the final write joins the batch of the last
        # node updates (one commit instead of two at the end of every dispatch).
        committed = self._write_end(end)
        asyncio.get_running_loop().create_task(self._finished(committed, end))

    def _await_output(self, key: str) -> None:
        if self.awaiting_output == key:
            return
        self.awaiting_output = key
        self.busy += 1

        async def wait() -> None:
            try:
                await self.svc.held.stored(key)
            except HeldValueLost:
                self._output_lost(key)
            finally:
                self.awaiting_output = None
                self.busy -= 1
            self._check_finished()

        asyncio.get_running_loop().create_task(wait())

    def _write_end(self, end: RunEnd) -> asyncio.Future[None]:
        """Queue the dispatch's final record (and mark nodes that never ran); the commit's future."""
        if end.status == CANCELLED:
            pending = [n for n, s in self.status.items() if s == NEW]  # stay visible as never run
            for n in pending:
                self.status[n] = CANCELLED
            if pending:
                now = time.time()
                self._write([NodeUpdate(n, {"status": CANCELLED, "end_time": now}) for n in pending])
        ended_at = time.time()
        small = self.svc.blobs.cached(end.output_key) if end.output_key else None
        event = DispatchEvent(
            self.dispatch_id,
            self.root_dispatch_id,
            end.status,
            self._completed_tasks,
            self.task_total,
            summary=self._summary(end, ended_at),
            output=encode_output(small) if small is not None and len(small) <= LIMITS.event_output_bytes else None,
        )
        return self.writes.dispatch(
            event, status=end.status, ended_at=ended_at, output_key=end.output_key, error=end.error or None
        )

    def _summary(self, end: RunEnd, ended_at: float) -> DispatchSummary:
        """The final summary: the record as ``GET /dispatches/{id}`` will read it once the end is committed."""
        return DispatchSummary.of(
            self.record,
            node_counts(self.status, lambda n: self.node(n).kind not in NOT_TASKS),
            status=end.status,
            started_at=self.started_at,
            ended_at=ended_at,
            output_key=end.output_key,
            error=end.error or None,
            lattice=self.lattice_info,
        )

    async def _finished(self, committed: asyncio.Future[None], end: RunEnd) -> None:
        await committed
        self.svc.held.run_ended(self.dispatch_id)
        if end.status == FAILED:
            self.svc.hooks.notify("on_dispatch_error", dispatch_id=self.dispatch_id, error=end.error)
        else:
            self.svc.hooks.notify("after_dispatch", dispatch_id=self.dispatch_id, status=end.status)
        self.ended.set_result(end)
