"""One trigger being observed: its source's events become runs, as its policy allows.

The source runs as one task and only puts events in a queue; a second task
takes them in order and starts the runs, so a slow launch never loses an
event and a stop lets the events that came before it still run.  What each
event did is counted in the trigger's record; a source that is gone, or a run
that can never start (the dispatch was deleted), fails the trigger with the
reason, and nothing else in the server is touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from covalent.server.store.triggers import FAILED, TriggerRecord, count_event, set_state
from covalent.server.store.writer import Writer
from covalent.server.triggers.gate import RunGate
from covalent.server.triggers.launcher import Launcher, LaunchError
from covalent.triggers import BaseTrigger, EventSource, SourceGone

__all__ = ["Observation"]

log = logging.getLogger(__name__)

#: Events waiting to be turned into runs, at most (more are counted as skipped).
BACKLOG = 1000
#: Launches in a row that may fail for a passing reason (the dispatcher is down) before the trigger fails.
FAILED_LAUNCHES_ALLOWED = 3


class Observation:
    def __init__(
        self,
        record: TriggerRecord,
        trigger: BaseTrigger,
        launcher: Launcher,
        writer: Writer,
        gate: RunGate,
        on_end: Callable[[Observation], None],
    ) -> None:
        self.record = record
        self.trigger = trigger
        self.launcher = launcher
        self.writer = writer
        self.gate = gate
        self.on_end = on_end
        self._events: asyncio.Queue[str | None] = asyncio.Queue(BACKLOG)
        self._source: asyncio.Task[None] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._watchers: set[asyncio.Task[None]] = set()
        self._failed_launches = 0
        self.source: EventSource

    @property
    def trigger_id(self) -> str:
        return self.record.trigger_id

    async def open(self) -> None:
        """Start observing the source (events queue up from now on); raises SourceGone if it cannot."""
        self.source = self.trigger.source(since=self.record.created_at)
        try:
            await self.source.open(self._on_event)
        except SourceGone:
            await self.source.close()
            raise
        except Exception as exc:
            await self.source.close()
            raise SourceGone(f"{type(exc).__name__}: {exc}") from exc

    def start(self) -> None:
        """Turn events into runs (after :meth:`open`, once the trigger's record is committed)."""
        loop = asyncio.get_running_loop()
        self._source = loop.create_task(self._observe(), name=f"trigger-{self.trigger_id}")
        self._consumer = loop.create_task(self._consume(), name=f"trigger-runs-{self.trigger_id}")
        for run_id in self.gate.running:
            self._watch(run_id)

    # -- the source ----------------------------------------------------------------
    async def _observe(self) -> None:
        try:
            await self.source.run()
        except asyncio.CancelledError:
            raise
        except SourceGone as exc:
            await self.fail(str(exc))
        except Exception as exc:
            log.exception("trigger %s stopped observing", self.trigger_id)
            await self.fail(f"{type(exc).__name__}: {exc}")
        finally:
            await self.source.close()

    def _on_event(self, description: str) -> None:
        try:
            self._events.put_nowait(description)
        except asyncio.QueueFull:
            self.writer.write(count_event(self.record, "skipped"), small=True)

    # -- runs -------------------------------------------------------------------------
    async def _consume(self) -> None:
        while True:
            description = await self._events.get()
            if description is None:
                return
            try:
                await self._handle(description)
            except asyncio.CancelledError:
                raise
            except Exception:  # one event's trouble (a write refused) must not end the observation
                log.exception("trigger %s: an event could not be handled", self.trigger_id)

    async def _handle(self, description: str) -> None:
        outcome = self.gate.admit()
        if outcome == "run":
            await self._run("run")
        else:
            log.info("trigger %s: %s (%s): %s", self.trigger_id, description, self.record.kind, outcome)
            await self.writer.write(count_event(self.record, outcome), small=True)

    async def _run(self, outcome: str) -> None:
        try:
            run_id = await self.launcher.launch(
                self.record.dispatch_id, reuse_previous_results=bool(self.record.policy.get("reuse_previous_results"))
            )
        except LaunchError as exc:
            self._failed_launches += 1
            if exc.permanent or self._failed_launches >= FAILED_LAUNCHES_ALLOWED:
                await self.fail(f"a run could not be started: {exc}")
            else:
                log.warning("trigger %s: a run could not be started: %s", self.trigger_id, exc)
                await self.writer.write(count_event(self.record, "skipped"), small=True)
            return
        self._failed_launches = 0
        self.gate.started(run_id)
        await self.writer.write(count_event(self.record, "run" if outcome == "run" else "dequeued", run_id), small=True)
        if self.gate.limited:
            self._watch(run_id)

    def _watch(self, run_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._await_end(run_id))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _await_end(self, run_id: str) -> None:
        await self.launcher.wait_ended(run_id)
        if self.gate.ended(run_id):
            await self._run("dequeued")

    # -- ending ---------------------------------------------------------------------------
    async def fail(self, reason: str) -> None:
        log.warning(
            "trigger %s (%s of dispatch %s) failed: %s",
            self.trigger_id,
            self.record.kind,
            self.record.dispatch_id,
            reason,
        )
        self.record = self.record.with_state(FAILED, reason)
        self._cancel_source()
        await self.writer.write(set_state([self.record], FAILED, reason), small=True)
        await self.close(drain=False)

    def _cancel_source(self) -> None:
        if self._source is not None and self._source is not asyncio.current_task():
            self._source.cancel()

    async def close(self, *, drain: bool = True) -> None:
        """Stop observing; with ``drain``, events that came before still start their runs."""
        if self._source is None:  # opened, never started
            await self.source.close()
        self._cancel_source()
        if self._consumer is not None and self._consumer is not asyncio.current_task():
            if drain:
                with contextlib.suppress(asyncio.QueueFull):
                    self._events.put_nowait(None)
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(self._consumer), 10)
            self._consumer.cancel()
        for task in list(self._watchers):
            task.cancel()
        tasks = [
            t
            for t in (self._source, self._consumer, *self._watchers)
            if t is not None and t is not asyncio.current_task()
        ]
        await asyncio.gather(*tasks, return_exceptions=True)
        self.on_end(self)
