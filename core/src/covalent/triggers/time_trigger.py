"""``TimeTrigger(time_gap)``: a run every ``time_gap`` seconds.

Runs are due at whole multiples of the gap after the trigger was registered
(so they do not drift, and a server restart keeps the same beat); runs that
fell due while the server was down are not made up.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from covalent.triggers.base import BaseTrigger, positive_number
from covalent.triggers.source import EventSource

__all__ = ["TimeSource", "TimeTrigger"]

#: The shortest gap accepted (a shorter one would only load the server).
MIN_GAP = 0.05


class TimeSource(EventSource):
    def __init__(self, gap: float, since: float) -> None:
        self.gap = gap
        self.since = since

    def beat_after(self, now: float) -> int:
        """The number of the first beat after ``now`` (beat k is due at ``since + k * gap``, k >= 1)."""
        return max(1, math.floor((now - self.since) / self.gap) + 1)

    def next_due(self, now: float) -> float:
        return self.since + self.beat_after(now) * self.gap

    async def run(self) -> None:
        beat = self.beat_after(time.time())
        while True:
            await asyncio.sleep(max(0.0, self.since + beat * self.gap - time.time()))
            self.emit(f"every {self.gap:g} s")
            # Counted, not recomputed from the clock alone: a timer that wakes a hair
            # early must not see the same beat again (and beats missed are skipped).
            beat = max(beat + 1, self.beat_after(time.time()))


class TimeTrigger(BaseTrigger):
    """Perform a run every ``time_gap`` seconds."""

    def __init__(
        self,
        time_gap: float,
        lattice_dispatch_id: str | None = None,
        dispatcher_addr: str | None = None,
        triggers_server_addr: str | None = None,
        **policy: Any,
    ) -> None:
        super().__init__(lattice_dispatch_id, dispatcher_addr, triggers_server_addr, **policy)
        positive_number("time_gap", time_gap, minimum=MIN_GAP)
        self.time_gap = time_gap

    def config(self) -> dict[str, Any]:
        return {"time_gap": self.time_gap}

    def describe(self) -> str:
        return f"every {self.time_gap:g} s"

    def source(self, *, since: float) -> EventSource:
        return TimeSource(float(self.time_gap), since)
