"""What happens to a run when a job ends: outputs recorded, failures retried or failed, children reported.

One part of :class:`~covalent.server.dispatcher.run.DispatchRun` (a base
class of it, over :class:`~covalent.server.dispatcher.runstate.RunState`);
it runs on the server's event loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from covalent.graph.serialize import blob_key
from covalent.runtime.outcome import JobOutcome
from covalent.server.dispatcher.jobs import JobRecord
from covalent.server.dispatcher.runstate import RunState
from covalent.server.dispatcher.statuses import CANCELLED, COMPLETED, FAILED, NEW, RUNNING, TERMINAL
from covalent.server.store.records import NodeUpdate

__all__ = ["Outcomes"]


def _backoff(attempt: int) -> float:
    return float(min(30.0, 0.5 * 2 ** max(0, attempt - 1)))


class Outcomes(RunState):
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
