"""What a running dispatch holds: node statuses, outputs, jobs in flight, and its writes.

:class:`RunState` is the base of :class:`~covalent.server.dispatcher.run.DispatchRun`;
the parts that drive it (``run``, ``outcomes``, ``cancelling``, ``ending``)
each add their methods, and the few they call across each other are declared
here.
"""

from __future__ import annotations

import asyncio
import json
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from covalent.graph.transport_graph import TransportGraph
from covalent.server.dispatcher.jobs import JobRecord
from covalent.server.dispatcher.statuses import COMPLETED, RUNNING
from covalent.server.store.records import NodeUpdate, update_nodes

if TYPE_CHECKING:
    from covalent.server.dispatcher.service import Dispatcher

__all__ = ["RunState"]

#: Node updates (and output bytes) a write may have to count as small (see Writer.write).
_SMALL_ROWS = 32
_SMALL_BYTES = 64 * 1024


class RunState(ABC):
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

        small = len(updates) <= _SMALL_ROWS and sum(map(len, (blobs or {}).values())) <= _SMALL_BYTES
        future = self.svc.writer.write(op, small=small)
        completed = event["completed"]

        def note_committed(f: asyncio.Future[None]) -> None:
            if not f.cancelled() and f.exception() is None:
                self.committed_completed = max(self.committed_completed, completed)

        future.add_done_callback(note_committed)
        if blobs:
            keys = list(blobs)
            future.add_done_callback(lambda _f: self.svc.unpin(keys))
        return future

    # -- what the other parts provide -------------------------------------------------
    @abstractmethod
    def _schedule(self, ready: list[int]) -> None:
        """Plan and launch jobs for nodes that became ready (``run``)."""

    @abstractmethod
    def _release_held(self, function_keys: set[str]) -> None:
        """Schedule nodes held back until a function's duration was known (``run``)."""

    @abstractmethod
    def _check_finished(self) -> None:
        """End the run if nothing is left to do (``ending``)."""
