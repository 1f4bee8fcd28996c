"""How a run ended: its status, output and error, decided from its nodes; and its summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from covalent.status import Status

__all__ = ["RunEnd", "decide_end", "node_counts"]


@dataclass(frozen=True)
class RunEnd:
    status: Status
    output_key: str | None = None
    error: str = ""


def decide_end(
    status: Mapping[int, str],
    errors: Mapping[int, str],
    output_keys: Mapping[int, str],
    output: Mapping[str, Any],
    *,
    cancel_requested: bool,
    name_of: Callable[[int], str],
) -> RunEnd:
    """FAILED if a task failed, else CANCELLED if cancelled, else COMPLETED with the workflow's output."""
    failed = [n for n, s in status.items() if s == Status.FAILED]
    if failed:
        names = ", ".join(f"{name_of(n)} (node {n})" for n in failed[:5])
        last = (errors.get(failed[0]) or "").strip().splitlines()
        return RunEnd(Status.FAILED, None, f"{len(failed)} task(s) failed: {names}" + (f"\n{last[-1]}" if last else ""))
    if cancel_requested or any(s == Status.CANCELLED for s in status.values()):
        return RunEnd(Status.CANCELLED)
    if "node" in output:
        key = output_keys.get(output["node"])
        if not key:
            return RunEnd(Status.FAILED, None, "the workflow's output node did not produce a value")
        return RunEnd(Status.COMPLETED, key)
    return RunEnd(Status.COMPLETED, output.get("value"))


def node_counts(status: Mapping[int, str], is_task: Callable[[int], bool]) -> dict[str, int]:
    """Task nodes by status (parameters left out)."""
    counts: dict[str, int] = defaultdict(int)
    for n, s in status.items():
        if is_task(n):
            counts[s] += 1
    return dict(counts)
