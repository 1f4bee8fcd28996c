"""Small formatting helpers used by the templates (registered as Jinja filters)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from covalent import status
from covalent.graph.draw import KIND_COLOURS, STATUS_COLOURS
from covalent.status import Status

__all__ = [
    "STATUSES",
    "TERMINAL",
    "colour",
    "duration",
    "elapsed",
    "register_filters",
    "short_id",
    "span",
    "timestamp",
]

#: Dispatch statuses, in the order the dashboard lists them.
STATUSES = (Status.NEW_OBJECT, Status.RUNNING, Status.COMPLETED, Status.FAILED, Status.CANCELLED)
TERMINAL = status.TERMINAL


def timestamp(value: float | None) -> str:
    """UNIX seconds as ``YYYY-MM-DD HH:MM:SS`` UTC (the page's script shows local time)."""
    if value is None:
        return "—"
    return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    """``0.42 s``, ``12.3 s``, ``4 min 05 s``, ``2 h 03 min``."""
    if seconds is None:
        return "—"
    s = max(0.0, float(seconds))
    if s < 10:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def elapsed(start: float | None, end: float | None) -> str:
    """The duration between two times; a running item counts up to now."""
    if start is None:
        return "—"
    return duration((end if end is not None else time.time()) - start)


def span(start: float | None, end: float | None) -> float | None:
    """Seconds from ``start`` to ``end`` (None unless both are known)."""
    return None if start is None or end is None else max(0.0, end - start)


def short_id(value: str | None) -> str:
    return (value or "")[:8]


def colour(status: str | None, kind: str = "electron") -> str:
    """The fill the graph uses for a node of ``status`` (or ``kind`` without one)."""
    return STATUS_COLOURS.get(status or "") or KIND_COLOURS.get(kind, "#4098d7")


def register_filters(env: Any) -> None:
    """Install the helpers above as filters and globals of a Jinja environment."""
    env.filters["timestamp"] = timestamp
    env.filters["duration"] = duration
    env.filters["short_id"] = short_id
    env.filters["colour"] = colour
    env.globals["elapsed"] = elapsed
    env.globals["span"] = span
    env.globals["STATUSES"] = STATUSES
    env.globals["TERMINAL"] = TERMINAL
    env.globals["STATUS_COLOURS"] = STATUS_COLOURS
