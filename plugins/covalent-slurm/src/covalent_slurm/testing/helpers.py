"""Small tasks and checks for testing Slurm executors (tasks travel to jobs by value or by reference)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

__all__ = ["job_environment", "sleep_for", "squeue_ids", "wait_until"]


def sleep_for(seconds: float) -> str:
    """Sleep in small steps (so interrupts land), then return."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.1)
    return "slept"


def job_environment() -> dict[str, str | None]:
    """What a task sees of its Slurm job."""
    names = [
        "SLURM_JOB_ID",
        "SLURM_JOB_PARTITION",
        "SLURM_CPUS_PER_TASK",
        "SLURM_MEM_PER_NODE",
        "SLURM_STEP_ID",
        "VIRTUAL_ENV",
        "COVALENT_TEST_VAR",
        "SLURM_JOB_NAME",
    ]
    info: dict[str, str | None] = {name: os.environ.get(name) for name in names}
    info["cwd"] = os.getcwd()
    info["prerun"] = os.environ.get("COVALENT_PRERUN")
    return info


def squeue_ids(conf: Path | str) -> set[str]:
    """Ids of the jobs Slurm still runs or queues."""
    out = subprocess.run(
        ["squeue", "-h", "-o", "%i"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SLURM_CONF": str(conf)},
    ).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def wait_until(check: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, message
        time.sleep(0.25)
