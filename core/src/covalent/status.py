"""Dispatch and node statuses.

Values are plain strings, so ``result.status == "COMPLETED"`` and
``result.status == ct.status.COMPLETED`` both hold.  The set is Covalent's
whole set: this project's dispatcher uses NEW_OBJECT, PENDING_REUSE, RUNNING,
POSTPROCESSING and the three terminal ones; the others (STARTING,
PENDING_REPLACEMENT, PENDING_POSTPROCESSING, POSTPROCESSING_FAILED,
DISPATCHING) exist so that code written for Covalent compares and stores
them unchanged.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "DISPATCHING",
    "DISPATCHING_SUBLATTICE",
    "FAILED",
    "NEW_OBJECT",
    "PENDING_POSTPROCESSING",
    "PENDING_REPLACEMENT",
    "PENDING_REUSE",
    "POSTPROCESSING",
    "POSTPROCESSING_FAILED",
    "RUNNING",
    "STARTING",
    "Status",
    "TERMINAL",
    "is_terminal",
]


class Status(StrEnum):
    NEW_OBJECT = "NEW_OBJECT"
    STARTING = "STARTING"
    PENDING_REUSE = "PENDING_REUSE"
    PENDING_REPLACEMENT = "PENDING_REPLACEMENT"
    RUNNING = "RUNNING"
    DISPATCHING = "DISPATCHING"
    POSTPROCESSING = "POSTPROCESSING"
    PENDING_POSTPROCESSING = "PENDING_POSTPROCESSING"
    POSTPROCESSING_FAILED = "POSTPROCESSING_FAILED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def STATUS(self) -> str:
        """The status as a plain string (Covalent's ``Status.STATUS``)."""
        return str(self.value)


NEW_OBJECT = Status.NEW_OBJECT
STARTING = Status.STARTING
PENDING_REUSE = Status.PENDING_REUSE
PENDING_REPLACEMENT = Status.PENDING_REPLACEMENT
RUNNING = Status.RUNNING
DISPATCHING = Status.DISPATCHING
DISPATCHING_SUBLATTICE = Status.DISPATCHING
POSTPROCESSING = Status.POSTPROCESSING
PENDING_POSTPROCESSING = Status.PENDING_POSTPROCESSING
POSTPROCESSING_FAILED = Status.POSTPROCESSING_FAILED
COMPLETED = Status.COMPLETED
FAILED = Status.FAILED
CANCELLED = Status.CANCELLED

TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})


def is_terminal(status: object) -> bool:
    """Whether ``status`` (a Status or its string) is COMPLETED, FAILED or CANCELLED."""
    return str(status) in TERMINAL
