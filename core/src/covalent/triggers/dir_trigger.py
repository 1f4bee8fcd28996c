"""``DirTrigger(dir_path, event_names)``: a run on file events in a folder (or on one file), through watchdog.

``event_names`` are among ``created``, ``deleted``, ``modified``, ``moved``,
``closed`` (and watchdog's ``opened``, ``closed_no_write``); every
``batch_size`` matching events make one run.  A folder that does not exist,
or is removed while it is watched, fails the trigger with that reason.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from covalent.triggers.base import BaseTrigger, TriggerConfigError, positive_int
from covalent.triggers.source import Emit, EventSource, SourceGone

__all__ = ["EVENT_NAMES", "DirSource", "DirTrigger"]

EVENT_NAMES = ("created", "deleted", "modified", "moved", "closed", "opened", "closed_no_write")
#: Seconds between checks that the watched path is still there.
CHECK_EVERY = 0.5


class _Counter:
    """Counts matching events (on watchdog's thread) and emits one per batch on the loop."""

    def __init__(self, names: set[str], batch: int, loop: asyncio.AbstractEventLoop, emit: Emit) -> None:
        self.names = names
        self.batch = batch
        self.loop = loop
        self.emit = emit
        self.count = 0

    def dispatch(self, event: Any) -> None:
        if event.event_type not in self.names:
            return
        self.count += 1
        if self.count >= self.batch:
            self.count = 0
            self.loop.call_soon_threadsafe(self.emit, f"{event.event_type} {event.src_path}")


class DirSource(EventSource):
    def __init__(self, path: str, names: list[str], batch: int, recursive: bool) -> None:
        self.path = Path(path).expanduser()
        self.names = set(names)
        self.batch = batch
        self.recursive = recursive

    async def open(self, emit: Emit) -> None:
        from watchdog.observers import Observer

        await super().open(emit)
        self.resolved = path = self.path.resolve()
        if not path.exists():
            raise SourceGone(f"{path} does not exist")
        self.observer = Observer()
        counter: Any = _Counter(self.names, self.batch, asyncio.get_running_loop(), emit)  # watchdog calls dispatch()
        try:
            self.observer.schedule(counter, str(path), recursive=self.recursive)
            self.observer.start()
        except OSError as exc:
            raise SourceGone(f"cannot watch {path}: {exc}") from None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            if not self.resolved.exists():
                raise SourceGone(f"{self.resolved} was removed")
            if not self.observer.is_alive():
                raise SourceGone(f"watching {self.resolved} stopped")

    async def close(self) -> None:
        observer = getattr(self, "observer", None)
        if observer is not None and observer.is_alive():
            observer.stop()
            await asyncio.to_thread(observer.join, 5)


class DirTrigger(BaseTrigger):
    """Perform a run when files in ``dir_path`` are created, modified, deleted, ..."""

    observe_blocks = False

    def __init__(
        self,
        dir_path: str,
        event_names: str | list[str],
        batch_size: int = 1,
        recursive: bool = False,
        lattice_dispatch_id: str | None = None,
        dispatcher_addr: str | None = None,
        triggers_server_addr: str | None = None,
        **policy: Any,
    ) -> None:
        super().__init__(lattice_dispatch_id, dispatcher_addr, triggers_server_addr, **policy)
        if not isinstance(dir_path, str | Path) or not str(dir_path):
            raise TriggerConfigError(f"dir_path must be a path, got {dir_path!r}")
        names = [event_names] if isinstance(event_names, str) else event_names
        if not isinstance(names, list | tuple) or not names or not all(n in EVENT_NAMES for n in names):
            raise TriggerConfigError(f"event_names must be among {', '.join(EVENT_NAMES)}, got {event_names!r}")
        if not isinstance(recursive, bool):
            raise TriggerConfigError(f"recursive must be True or False, got {recursive!r}")
        self.dir_path = str(dir_path)
        self.event_names = list(names)
        self.batch_size = positive_int("batch_size", batch_size)
        self.recursive = recursive

    def config(self) -> dict[str, Any]:
        return {
            "dir_path": self.dir_path,
            "event_names": self.event_names,
            "batch_size": self.batch_size,
            "recursive": self.recursive,
        }

    def describe(self) -> str:
        every = f" (every {self.batch_size})" if self.batch_size > 1 else ""
        return f"{'/'.join(self.event_names)} in {self.dir_path}{every}"

    def source(self, *, since: float) -> EventSource:
        return DirSource(self.dir_path, self.event_names, self.batch_size, self.recursive)
