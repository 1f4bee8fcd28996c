"""The dispatcher service: starts, resumes, cancels and links dispatch runs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import select

from covalent.server.db.tables import dispatches
from covalent.server.dispatcher.durations import DurationModel
from covalent.server.dispatcher.executors import ExecutorPool
from covalent.server.dispatcher.outcomes import Outcomes
from covalent.server.dispatcher.run import DispatchRun
from covalent.server.dispatcher.runstate import RunState
from covalent.server.events import EventBus
from covalent.server.store.blobs import BlobStore
from covalent.server.store.records import NewDispatch, read_dispatch, read_nodes, set_dispatch
from covalent.server.store.writer import Writer

__all__ = ["ChildIntake", "Dispatcher"]

log = logging.getLogger(__name__)

_CACHE_BYTES = 64 * 1024 * 1024


class ChildIntake(Protocol):
    """Registers a sublattice's child dispatch (the server gives the dispatcher one)."""

    async def register(
        self, payload: dict[str, Any], *, parent_dispatch_id: str, parent_node_id: int, root_dispatch_id: str
    ) -> NewDispatch: ...


class Dispatcher:
    def __init__(
        self,
        writer: Writer,
        blobs: BlobStore,
        events: EventBus,
        executors: ExecutorPool,
        hooks: Any = None,
        *,
        children: ChildIntake,
    ) -> None:
        self.writer = writer
        self.children = children
        self.blobs = blobs
        self.events = events
        self.executors = executors
        self.pm = hooks
        self.runs: dict[str, DispatchRun] = {}
        self.stopping = False
        self._pinned: dict[str, bytes] = {}
        self._pin_counts: dict[str, int] = {}
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._child_watch: dict[str, tuple[str, int]] = {}
        self.durations = DurationModel()

    # -- blobs the dispatcher reads (from any thread) --------------------------
    def pin(self, blobs: dict[str, bytes]) -> None:
        """Keep blobs readable from memory until their write is committed."""
        for key, data in blobs.items():
            self._pinned[key] = data
            self._pin_counts[key] = self._pin_counts.get(key, 0) + 1

    def unpin(self, keys: Iterable[str]) -> None:
        for key in keys:
            count = self._pin_counts.get(key, 0) - 1
            if count > 0:
                self._pin_counts[key] = count
                continue
            self._pin_counts.pop(key, None)
            data = self._pinned.pop(key, None)
            if data is not None:
                self._remember(key, data)

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > _CACHE_BYTES // 8 or key in self._cache:
            return
        self._cache[key] = data
        self._cache_bytes += len(data)
        while self._cache_bytes > _CACHE_BYTES and self._cache:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= len(old)

    def cached_blob(self, key: str) -> bytes | None:
        """A blob if it is in memory (just produced, or recently read); never reads the store."""
        data = self._pinned.get(key)
        return data if data is not None else self._cache.get(key)

    def blob(self, key: str) -> bytes:
        data = self._pinned.get(key)
        if data is None:
            data = self._cache.get(key)
        if data is None:
            data = self.blobs.get(key)
            self._remember(key, data)
        return data

    # -- hooks -----------------------------------------------------------------
    def hook(self, hook_name: str, /, **kwargs: Any) -> None:
        """Call a lifecycle hook if any plugin implements it; a failing plugin is logged."""
        if self.pm is None:
            return
        caller = getattr(self.pm.hook, hook_name)
        if not caller.get_hookimpls():
            return
        try:
            caller(**kwargs)
        except Exception as exc:
            log.warning("plugin hook %s failed: %s", hook_name, exc)

    # -- lifecycle ---------------------------------------------------------------
    async def start(
        self,
        dispatch_id: str,
        *,
        resuming: bool = False,
        loaded: tuple[dict[str, Any], list[dict[str, Any]]] | None = None,
    ) -> bool:
        """Run a registered dispatch; False if it is unknown or already ended.

        ``loaded`` is its record and node rows when the caller has them in memory
        (a dispatch registered a moment ago), saving a read of the database.
        """
        if dispatch_id in self.runs:
            return True

        def load() -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            with self.blobs.engine.connect() as conn:
                record = read_dispatch(conn, dispatch_id, with_manifest=True)
                rows = read_nodes(conn, dispatch_id, brief=False) if record else []
            return record, rows

        record, rows = loaded if loaded is not None else await asyncio.to_thread(load)
        if record is None or record["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return False
        if dispatch_id in self.runs:
            return True
        run = DispatchRun(self, record, rows)
        self.runs[dispatch_id] = run
        if record["status"] != "RUNNING":
            started = record.get("started_at") or time.time()
            run.started_at = started
            event = {
                "kind": "dispatch",
                "dispatch_id": dispatch_id,
                "root_dispatch_id": run.root_dispatch_id,
                "status": "RUNNING",
                "completed": run.completed_count(),
                "total": run.task_total,
            }

            def op(conn: Any) -> list[dict[str, Any]]:
                set_dispatch(conn, dispatch_id, status="RUNNING", started_at=started)
                return [event]

            def committed(f: asyncio.Future[None]) -> None:
                run.running_committed = not f.cancelled() and f.exception() is None

            self.writer.write(op, small=True).add_done_callback(committed)
        self.hook("before_dispatch", dispatch_id=dispatch_id, name=run.name, node_count=run.task_total)
        if resuming:
            log.info("resuming dispatch %s (%d of %d tasks done)", dispatch_id, run.completed_count(), run.task_total)
        run.start()
        return True

    async def resume_all(self) -> list[str]:
        """Start again every dispatch that was running when the server stopped."""

        def unfinished() -> list[str]:
            with self.blobs.engine.connect() as conn:
                rows = conn.execute(
                    select(dispatches.c.dispatch_id)
                    .where(dispatches.c.status == "RUNNING")
                    .order_by(dispatches.c.parent_dispatch_id.is_not(None), dispatches.c.created_at)
                )
                return [r[0] for r in rows]

        ids = await asyncio.to_thread(unfinished)
        for dispatch_id in ids:
            try:
                await self.start(dispatch_id, resuming=True)
            except Exception:
                log.exception("could not resume dispatch %s", dispatch_id)
        return ids

    def snapshot(self, dispatch_id: str) -> dict[str, Any] | None:
        """A running dispatch's first stream event from memory (None: read the database)."""
        run = self.runs.get(dispatch_id)
        return run.snapshot() if run is not None else None

    def cancel(self, dispatch_id: str, task_ids: list[int] | None) -> list[int] | None:
        run = self.runs.get(dispatch_id)
        if run is None:
            return None
        return run.cancel(task_ids)

    def cancel_child(self, child_id: str) -> None:
        run = self.runs.get(child_id)
        if run is not None:
            run.cancel(None)

    async def shutdown(self) -> None:
        """Stop driving dispatches; their records stay RUNNING and resume at the next start."""
        self.stopping = True
        tasks = [rec.task for run in self.runs.values() for rec in run.jobs.values() if rec.task]
        for run in self.runs.values():
            for timer in run.retry_timers.values():
                timer.cancel()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.runs.clear()

    # -- sublattices ------------------------------------------------------------------
    async def start_child(self, parent: Outcomes, node_id: int, payload: dict[str, Any]) -> None:
        try:
            new = await self.children.register(
                payload,
                parent_dispatch_id=parent.dispatch_id,
                parent_node_id=node_id,
                root_dispatch_id=parent.root_dispatch_id,
            )
        except Exception as exc:
            parent._fail_nodes([node_id], f"the sublattice could not be dispatched: {type(exc).__name__}: {exc}")
            return
        parent.child_started(node_id, new.dispatch_id)
        self._child_watch[new.dispatch_id] = (parent.dispatch_id, node_id)
        await self.start(new.dispatch_id, loaded=(new.record(), new.rows()))

    def watch_child(self, parent: DispatchRun, node_id: int, child_id: str) -> None:
        """After a restart: link a running sublattice node to its child dispatch."""
        self._child_watch[child_id] = (parent.dispatch_id, node_id)
        if child_id in self.runs:
            return

        async def check() -> None:
            def load() -> dict[str, Any] | None:
                with self.blobs.engine.connect() as conn:
                    return read_dispatch(conn, child_id)

            record = await asyncio.to_thread(load)
            if record is None:
                parent.child_finished(node_id, "FAILED", None, f"sublattice dispatch {child_id} is missing")
            elif record["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                parent.child_finished(node_id, record["status"], record.get("output_key"), record.get("error") or "")
            else:
                await self.start(child_id, resuming=True)

        asyncio.get_running_loop().create_task(check())

    def run_finished(self, run: RunState, status: str, output_key: str | None, error: str) -> None:
        self.runs.pop(run.dispatch_id, None)
        link = self._child_watch.pop(run.dispatch_id, None)
        if link is None and run.parent_dispatch_id is not None:
            link = (run.parent_dispatch_id, run.parent_node_id or 0)
        if link is not None:
            parent = self.runs.get(link[0])
            if parent is not None:
                parent.child_finished(link[1], status, output_key, error)
