"""Which dispatch and node a running task belongs to (``ct.get_context()``).

Set by the runtime around each task it runs, per thread and per asyncio
task (a context variable), so tasks running side by side in one Dask worker
each see their own.  Outside a task both fields are None.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["TaskContext", "get_context", "task_context"]


@dataclass(frozen=True)
class TaskContext:
    """``dispatch_id`` and ``task_id`` (the node id) of the running task; Covalent's field names."""

    dispatch_id: str | None = None
    task_id: int | None = None

    @property
    def node_id(self) -> int | None:
        """The node id of the running task (the same as ``task_id``)."""
        return self.task_id


_OUTSIDE = TaskContext()
_current: ContextVar[TaskContext] = ContextVar("covalent_task_context", default=_OUTSIDE)


def get_context() -> TaskContext:
    """The running task's dispatch id and node id (both None outside a task)."""
    return _current.get()


@contextmanager
def task_context(dispatch_id: str, task_id: int) -> Iterator[TaskContext]:
    context = TaskContext(dispatch_id, task_id)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
