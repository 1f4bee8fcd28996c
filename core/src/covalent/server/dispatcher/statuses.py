"""Node and dispatch statuses as the dispatcher writes them (plain strings)."""

from __future__ import annotations

__all__ = ["CANCELLED", "COMPLETED", "FAILED", "NEW", "RUNNING", "TERMINAL"]

NEW, RUNNING, COMPLETED, FAILED, CANCELLED = "NEW_OBJECT", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"
TERMINAL = {COMPLETED, FAILED, CANCELLED}
