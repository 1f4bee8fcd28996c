"""The end of a run: how it ended, its final record and event, and who is told.

One part of :class:`~covalent.server.dispatcher.run.DispatchRun` (a base
class of it, over :class:`~covalent.server.dispatcher.runstate.RunState`);
it runs on the server's event loop.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import defaultdict
from typing import Any

from covalent.server.dispatcher.runstate import RunState
from covalent.server.dispatcher.statuses import CANCELLED, COMPLETED, FAILED, NEW, RUNNING
from covalent.server.store.records import NodeUpdate, set_dispatch

__all__ = ["Ending"]


#: Outputs up to this size ride along in the final event (base64).
_INLINE_OUTPUT = 64 * 1024


class Ending(RunState):
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

        return self.svc.writer.write(op, small=True), status, output_key, error

    async def _finished(self, committed: asyncio.Future[None], status: str, output_key: str | None, error: str) -> None:
        await committed
        if status == FAILED:
            self.svc.hook("on_dispatch_error", dispatch_id=self.dispatch_id, error=error)
        else:
            self.svc.hook("after_dispatch", dispatch_id=self.dispatch_id, status=status)
        self.finished.set()
        self.svc.run_finished(self, status, output_key, error)
