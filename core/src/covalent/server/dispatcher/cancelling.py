"""Cancelling a run, whole or some of its nodes, and what follows a cancelled job.

One part of :class:`~covalent.server.dispatcher.run.DispatchRun` (a base
class of it, over :class:`~covalent.server.dispatcher.runstate.RunState`);
it runs on the server's event loop.
"""

from __future__ import annotations

import time
from collections import defaultdict

from covalent.server.dispatcher.jobs import JobRecord
from covalent.server.dispatcher.runstate import RunState
from covalent.server.dispatcher.statuses import CANCELLED, NEW, RUNNING, TERMINAL
from covalent.server.store.records import NodeUpdate

__all__ = ["Cancelling"]


class Cancelling(RunState):
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
