"""Where Slurm jobs are: one batched ``squeue`` call for all watched jobs.

Many jobs of one executor waiting at once share a single ``squeue -t all -j
ID,ID,...`` call per poll interval instead of one call each.  ``-t all``
also lists jobs that ended less than ``MinJobAge`` ago, with their final
state; a job missing from the answer has left the controller (the executor
then decides from the files the job left).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from covalent.executor.jobs import JobState
from covalent_ssh.transport import Transport, with_env

__all__ = [
    "FAILED_STATES",
    "PENDING_STATES",
    "RUNNING_STATES",
    "SlurmStatus",
    "StatusPoller",
    "query_squeue",
    "to_job_state",
]

PENDING_STATES = frozenset(
    {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD", "SUSPENDED", "RESIZING"}
)
RUNNING_STATES = frozenset({"RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "STOPPED"})
#: States in which Slurm ended the job itself.
FAILED_STATES = frozenset(
    {
        "FAILED",
        "TIMEOUT",
        "CANCELLED",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "REVOKED",
        "SPECIAL_EXIT",
    }
)


@dataclass
class SlurmStatus:
    """One job as ``squeue`` showed it; ``state`` is None when Slurm no longer lists it."""

    job_id: str
    state: str | None
    reason: str = ""

    @property
    def gone(self) -> bool:
        return self.state is None

    @property
    def active(self) -> bool:
        return self.state in PENDING_STATES or self.state in RUNNING_STATES


def to_job_state(status: SlurmStatus) -> JobState | None:
    """The executor state for a listed job; None for an ended or unlisted one (look at its files)."""
    if status.state in PENDING_STATES:
        return JobState.PENDING
    if status.state in RUNNING_STATES:
        return JobState.RUNNING
    return None


class StatusPoller:
    """Coalesces the status queries of many jobs into one ``squeue`` call."""

    def __init__(self, transport: Transport, env: dict[str, str], max_age: float) -> None:
        self.transport = transport
        self.env = env
        self.max_age = max_age
        self._watched: dict[str, float] = {}
        self._cache: dict[str, SlurmStatus] = {}
        self._cache_time = 0.0
        self._inflight: asyncio.Task[dict[str, SlurmStatus]] | None = None

    async def status(self, slurm_id: str) -> SlurmStatus:
        """The job's status, at most ``max_age`` seconds old."""
        now = time.monotonic()
        self._watched[slurm_id] = now
        if slurm_id in self._cache and now - self._cache_time < self.max_age:
            return self._cache[slurm_id]
        task = self._inflight
        if task is None or task.done():
            task = asyncio.ensure_future(self._query())
            self._inflight = task
        statuses = await asyncio.shield(task)
        if slurm_id in statuses:
            return statuses[slurm_id]
        return await self.query_one(slurm_id)  # it started watching after that query began

    async def _query(self) -> dict[str, SlurmStatus]:
        now = time.monotonic()
        horizon = max(30.0, self.max_age * 10)
        for stale in [k for k, t in self._watched.items() if now - t > horizon]:
            del self._watched[stale]
        statuses = await query_squeue(self.transport, self.env, sorted(self._watched))
        self._cache = statuses
        self._cache_time = time.monotonic()
        return statuses

    async def query_one(self, slurm_id: str) -> SlurmStatus:
        return (await query_squeue(self.transport, self.env, [slurm_id]))[slurm_id]

    def forget(self, slurm_id: str) -> None:
        self._watched.pop(slurm_id, None)
        self._cache.pop(slurm_id, None)


async def query_squeue(transport: Transport, env: dict[str, str], ids: list[str]) -> dict[str, SlurmStatus]:
    """Ask ``squeue`` about ``ids``; every id gets a status (``state=None`` if unlisted).

    Raises ``RuntimeError`` if Slurm could not be asked (controller down...).
    """
    if not ids:
        return {}
    command = with_env(f"squeue -h -t all -j {','.join(ids)} -o '%i|%T|%r'", env)
    result = await transport.run(command, timeout=60)
    statuses = {i: SlurmStatus(i, None) for i in ids}
    if not result.ok:
        if "Invalid job id" in result.stderr:
            return statuses  # none of them is known any more
        raise RuntimeError(f"squeue failed ({result.returncode}): {result.stderr.strip()}")
    for line in result.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 2 and parts[0] in statuses:
            statuses[parts[0]] = SlurmStatus(
                parts[0], parts[1].strip().upper(), parts[2].strip() if len(parts) > 2 else ""
            )
    return statuses
