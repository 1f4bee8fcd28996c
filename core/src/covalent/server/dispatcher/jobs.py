"""One job in flight: its nodes, executor, handle and asyncio task."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from covalent.executor.base import AsyncBaseExecutor, Job

__all__ = ["JobRecord", "failure_text"]


@dataclass
class JobRecord:
    job_id: str
    node_ids: list[int]
    spec: dict[str, Any] | None
    executor: AsyncBaseExecutor | None = None
    job: Job | None = None
    handle: Any = None
    task: asyncio.Task[None] | None = None
    time_limit: float | None = None
    cancelled_nodes: set[int] = field(default_factory=set)
    requeue_nodes: set[int] = field(default_factory=set)
    reattach: bool = False
    #: The RUNNING rows of the job's nodes, held back for a moment (see ``DispatchRun._launch``).
    running_rows: list[Any] = field(default_factory=list)
    running_timer: asyncio.TimerHandle | None = None

    def handle_json(self) -> dict[str, Any]:
        assert self.job is not None
        return {
            "job_id": self.job_id,
            "node_ids": self.node_ids,
            "names": list(self.job.names),
            "handle": self.handle,
            "executor": self.spec,
        }


def failure_text(message: str, log: str = "") -> str:
    return f"{message}\n{log}".strip() if log else message
