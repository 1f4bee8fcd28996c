"""Why a Slurm job ended without an outcome, in words a user can act on."""

from __future__ import annotations

import re

from covalent_slurm.script import TIME_LIMIT_MARKER

__all__ = ["failure_message", "last_exception_line"]

_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b.*")
_SLURM_TIME_LIMIT = re.compile(r"\*\*\* JOB \d+ ON \S+ CANCELLED AT \S+ DUE TO TIME LIMIT \*\*\*")
_SLURM_CANCELLED = re.compile(r"\*\*\* JOB \d+ ON \S+ CANCELLED AT \S+( DUE TO [A-Z ]+)? \*\*\*")


def last_exception_line(text: str) -> str:
    """The last ``SomeError: message`` line of a traceback in ``text``."""
    found = ""
    for line in text.splitlines():
        if _EXCEPTION_LINE.match(line.strip()):
            found = line.strip()
    return found


def failure_message(
    *,
    slurm_id: str,
    job_id: str,
    state: str | None,
    reason: str,
    stderr: str,
    slurm_time: str | None,
    cancelled: bool,
    tail_lines: int = 30,
) -> str:
    """Say why Slurm job ``slurm_id`` (covalent job ``job_id``) left no outcome."""
    who = f"Slurm job {slurm_id} (covalent job {job_id})"
    marker = next((line for line in stderr.splitlines() if line.startswith(TIME_LIMIT_MARKER)), "")
    if marker:
        head = f"{who} exceeded its time limit and was stopped: {marker[len(TIME_LIMIT_MARKER) + 2 :]}"
    elif state == "TIMEOUT" or _SLURM_TIME_LIMIT.search(stderr):
        limit = f" (--time={slurm_time})" if slurm_time else ""
        head = f"Slurm stopped {who} because it exceeded its time limit{limit}"
    elif cancelled or state == "CANCELLED" or _SLURM_CANCELLED.search(stderr):
        head = f"{who} was cancelled"
    elif state == "OUT_OF_MEMORY" or "oom-kill" in stderr.lower() or "out of memory" in stderr.lower():
        head = f"{who} ran out of memory (ask for more with memory=...)"
    elif state in {"NODE_FAIL", "BOOT_FAIL"}:
        head = f"{who} failed because its node failed ({state})"
    elif state == "PREEMPTED":
        head = f"{who} was preempted by Slurm"
    elif state is None:
        head = f"{who} ended without writing an outcome (Slurm no longer lists it)"
    else:
        because = f", reason {reason}" if reason and reason != "None" else ""
        head = f"{who} ended without writing an outcome (state {state}{because})"
    error = last_exception_line(stderr)
    if error:
        head += f": {error}"
    tail = "\n".join(stderr.rstrip().splitlines()[-tail_lines:])
    return f"{head}\n--- job stderr (last lines) ---\n{tail}" if tail else head
