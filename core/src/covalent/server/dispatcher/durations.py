"""How long each function's tasks take, learned from outcomes.

The dispatcher packs and fuses only tasks it knows to be short, so a long
task is never hidden inside a batch (its result is recorded the moment it
ends) while thousands of tiny ones share a submission.  Tasks of a function
never seen before are probed: a few run alone first, the rest wait for the
first of them to report how long it took.
"""

from __future__ import annotations

import math

__all__ = ["DurationModel"]


class DurationModel:
    def __init__(
        self, fast: float = 0.1, batch_seconds: float = 1.0, alpha: float = 0.3, least_seconds: float = 0.05
    ) -> None:
        #: A task under this many seconds may share a job with others.
        self.fast = fast
        #: Aim for jobs that take about this long, so progress shows at least this often.
        self.batch_seconds = batch_seconds
        #: No batch of these tasks shorter than this (a job's own overhead is a few milliseconds).
        self.least_seconds = least_seconds
        self.alpha = alpha
        self._ema: dict[str, float] = {}

    def observe(self, function_key: str, seconds: float) -> None:
        seconds = max(0.0, seconds)
        old = self._ema.get(function_key)
        self._ema[function_key] = seconds if old is None else old + self.alpha * (seconds - old)

    def estimate(self, function_key: str) -> float | None:
        return self._ema.get(function_key)

    def is_fast(self, function_key: str) -> bool:
        est = self._ema.get(function_key)
        return est is not None and est < self.fast

    def batch_limit(self, function_key: str, cap: int) -> int:
        """How many of these tasks fit in one job of about ``batch_seconds``."""
        est = self._ema.get(function_key)
        if est is None or est <= 0:
            return cap
        return max(1, min(cap, int(self.batch_seconds / est)))

    def least_batch(self, function_key: str, cap: int) -> int:
        """How many of these tasks make a job of at least ``least_seconds`` (``cap`` when unknown or instant)."""
        est = self._ema.get(function_key)
        if est is None or est <= 0:
            return cap
        return max(1, min(cap, math.ceil(self.least_seconds / est)))
