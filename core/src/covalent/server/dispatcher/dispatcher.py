"""The dispatcher: starts, resumes, cancels and links the runs of dispatches in the server.

Each running dispatch is a :class:`~covalent.server.dispatcher.run.DispatchRun`
(its state machine); the dispatcher holds them by id, gives each the
services they share (:class:`~.run.RunServices`), and links a sublattice
node to its child dispatch: it starts the child through the intake service
it is given, and reports the child's end to the parent run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from covalent.server.dispatcher.blobcache import BlobCache
from covalent.server.dispatcher.durations import DurationModel
from covalent.server.dispatcher.ending import RunEnd
from covalent.server.dispatcher.executors import ExecutorInstances
from covalent.server.dispatcher.held import HeldValues
from covalent.server.dispatcher.hooks import LifecycleHooks
from covalent.server.dispatcher.run import DispatchRun, RunServices
from covalent.server.store.blobs import BlobStore
from covalent.server.store.events import DispatchEvent
from covalent.server.store.models import DispatchRecord, NodeRecord
from covalent.server.store.records import NewDispatch, read_dispatch, read_nodes, running_dispatch_ids
from covalent.server.store.writer import Writer
from covalent.status import TERMINAL, Status

__all__ = ["ChildIntake", "Dispatcher"]

log = logging.getLogger(__name__)


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
        executors: ExecutorInstances,
        hooks: Any = None,
        *,
        children: ChildIntake,
        live_output: Path | None = None,
    ) -> None:
        self.blobs = blobs
        self.children = children
        self.hooks = LifecycleHooks(hooks)
        self.runs: dict[str, DispatchRun] = {}
        self._child_watch: dict[str, tuple[str, int]] = {}
        self.services = RunServices(
            writer=writer,
            blobs=BlobCache(blobs),
            executors=executors,
            durations=DurationModel(),
            hooks=self.hooks,
            children=self,
            live_output=str(live_output or ""),
            held=HeldValues(writer, blobs, executors),
        )

    # -- lifecycle ---------------------------------------------------------------
    async def start(
        self,
        dispatch_id: str,
        *,
        resuming: bool = False,
        loaded: tuple[DispatchRecord, Iterable[NodeRecord]] | None = None,
        uploaded: Mapping[str, bytes] | None = None,
    ) -> bool:
        """Run a registered dispatch; False if it is unknown or already ended.

        ``loaded`` is its record and node rows when the caller has them in memory
        (a dispatch registered a moment ago), saving a read of the database.
        ``uploaded``: the blobs a small upload has just committed, kept in memory
        for its first payloads (a read of the store in a thread otherwise: a
        new dispatch's inputs are new blobs).
        """
        if dispatch_id in self.runs:
            return True

        def load() -> tuple[DispatchRecord | None, Iterable[NodeRecord]]:
            with self.blobs.engine.connect() as conn:
                record = read_dispatch(conn, dispatch_id, with_manifest=True)
                rows = read_nodes(conn, dispatch_id, brief=False) if record else []
            return record, rows

        record, rows = loaded if loaded is not None else await asyncio.to_thread(load)
        if record is None or record.status in TERMINAL:
            return False
        if dispatch_id in self.runs:
            return True
        if uploaded:
            self.services.blobs.remember(uploaded)
        run = DispatchRun(self.services, record, rows)
        self.runs[dispatch_id] = run
        run.ended.add_done_callback(lambda f: self._run_ended(run, f.result()))
        if record.status != Status.RUNNING:
            run.mark_running(record.started_at or time.time())
        self.hooks.notify("before_dispatch", dispatch_id=dispatch_id, name=run.name, node_count=run.task_total)
        if resuming:
            log.info("resuming dispatch %s (%d of %d tasks done)", dispatch_id, run.completed_count(), run.task_total)
        run.start()
        return True

    async def resume_all(self) -> list[str]:
        """Start again every dispatch that was running when the server stopped."""

        def unfinished() -> list[str]:
            with self.blobs.engine.connect() as conn:
                return running_dispatch_ids(conn)

        held = await self.services.held.resume()
        if held:
            log.info("taking up %d value(s) recorded by reference before the restart", held)
        ids = await asyncio.to_thread(unfinished)
        for dispatch_id in ids:
            try:
                await self.start(dispatch_id, resuming=True)
            except Exception:
                log.exception("could not resume dispatch %s", dispatch_id)
        return ids

    def snapshot(self, dispatch_id: str) -> DispatchEvent | None:
        """A running dispatch's first stream event from memory (None: read the database)."""
        run = self.runs.get(dispatch_id)
        return run.snapshot() if run is not None else None

    def cancel(self, dispatch_id: str, task_ids: list[int] | None) -> list[int] | None:
        run = self.runs.get(dispatch_id)
        if run is None:
            return None
        return run.cancel(task_ids)

    async def shutdown(self) -> None:
        """Stop driving dispatches; their records stay RUNNING and resume at the next start."""
        tasks = [task for run in self.runs.values() for task in run.stop()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.runs.clear()
        await self.services.held.close()

    # -- sublattices: the ChildRuns each run is given ------------------------------------
    def start_child(self, parent: DispatchRun, node_id: int, payload: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self._start_child(parent, node_id, payload))

    async def _start_child(self, parent: DispatchRun, node_id: int, payload: dict[str, Any]) -> None:
        try:
            new = await self.children.register(
                payload,
                parent_dispatch_id=parent.dispatch_id,
                parent_node_id=node_id,
                root_dispatch_id=parent.root_dispatch_id,
            )
        except Exception as exc:
            parent.child_failed_to_start(
                node_id, f"the sublattice could not be dispatched: {type(exc).__name__}: {exc}"
            )
            return
        parent.child_started(node_id, new.dispatch_id)
        self._child_watch[new.dispatch_id] = (parent.dispatch_id, node_id)
        await self.start(new.dispatch_id, loaded=(new.record(), new.rows()))

    def cancel_child(self, child_id: str) -> bool:
        """Cancel a sublattice's dispatch; False if it is not running here (nothing to wait for)."""
        run = self.runs.get(child_id)
        if run is None or run.over:
            return False
        run.cancel(None)
        return True

    def watch_child(self, parent: DispatchRun, node_id: int, child_id: str) -> None:
        """After a restart: link a running sublattice node to its child dispatch."""
        self._child_watch[child_id] = (parent.dispatch_id, node_id)
        if child_id in self.runs:
            return

        async def check() -> None:
            def load() -> DispatchRecord | None:
                with self.blobs.engine.connect() as conn:
                    return read_dispatch(conn, child_id)

            record = await asyncio.to_thread(load)
            if record is None:
                parent.child_finished(
                    node_id, RunEnd(Status.FAILED, None, f"sublattice dispatch {child_id} is missing")
                )
            elif record.status in TERMINAL:
                end = RunEnd(record.status, record.output_key, record.error or "")
                parent.child_finished(node_id, end)
            else:
                await self.start(child_id, resuming=True)

        asyncio.get_running_loop().create_task(check())

    def _run_ended(self, run: DispatchRun, end: RunEnd) -> None:
        self.runs.pop(run.dispatch_id, None)
        link = self._child_watch.pop(run.dispatch_id, None)
        if link is None and run.parent_dispatch_id is not None:
            link = (run.parent_dispatch_id, run.parent_node_id or 0)
        if link is not None:
            parent = self.runs.get(link[0])
            if parent is not None:
                parent.child_finished(link[1], end)
