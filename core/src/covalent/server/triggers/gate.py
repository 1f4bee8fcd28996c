"""A trigger's run policy: at most ``max_concurrent`` runs at once; a busy event is queued or skipped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from covalent.server.store.triggers import Outcome

__all__ = ["QUEUE_LIMIT", "RunGate"]

#: Events one trigger may have waiting; more are skipped.
QUEUE_LIMIT = 100


class RunGate:
    def __init__(self, policy: dict[str, Any], running: Iterable[str] = (), queued: int = 0) -> None:
        self.limit: int | None = policy.get("max_concurrent")
        self.when_busy: str = policy.get("when_busy", "queue")
        self.running: set[str] = set(running)
        self.queued = queued

    @property
    def limited(self) -> bool:
        return self.limit is not None

    def admit(self) -> Outcome:
        """What a new event does now: run, wait in the queue, or be skipped."""
        if self.limit is None or len(self.running) < self.limit:
            return "run"
        if self.when_busy == "skip" or self.queued >= QUEUE_LIMIT:
            return "skipped"
        self.queued += 1
        return "queued"

    def started(self, run_id: str) -> None:
        if self.limited:
            self.running.add(run_id)

    def ended(self, run_id: str) -> bool:
        """A run ended; True when a queued event should run now (it leaves the queue)."""
        self.running.discard(run_id)
        if self.queued and (self.limit is None or len(self.running) < self.limit):
            self.queued -= 1
            return True
        return False
