"""Dispatch and node statuses.

Values are plain strings, so ``result.status == "COMPLETED"`` and
``result.status == ct.status.COMPLETED`` both hold.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "FAILED",
    "NEW_OBJECT",
    "PENDING_REUSE",
    "POSTPROCESSING",
    "RUNNING",
    "Status",
    "TERMINAL",
]


class Status(StrEnum):
    NEW_OBJECT = "NEW_OBJECT"
    PENDING_REUSE = "PENDING_REUSE"
    RUNNING = "RUNNING"
    POSTPROCESSING = "POSTPROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


NEW_OBJECT = Status.NEW_OBJECT
PENDING_REUSE = Status.PENDING_REUSE
RUNNING = Status.RUNNING
POSTPROCESSING = Status.POSTPROCESSING
COMPLETED = Status.COMPLETED
FAILED = Status.FAILED
CANCELLED = Status.CANCELLED

TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})
