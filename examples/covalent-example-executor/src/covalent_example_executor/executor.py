"""``SubprocessExecutor``: one fresh interpreter per job."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from covalent.executor import Job, JobExecutor, JobFailedError, JobOutcome

__all__ = ["SubprocessExecutor"]


class SubprocessExecutor(JobExecutor):
    """Run each job with ``python -m covalent.runtime run`` in a new process."""

    short_name = "subprocess"

    def __init__(self, python: str = "", env: dict[str, str] | None = None) -> None:
        super().__init__()
        self.python = python or sys.executable
        self.env = dict(env or {})
        self._procs: dict[str, asyncio.subprocess.Process] = {}

    def parallelism(self) -> int:
        return os.cpu_count() or 1

    async def run(self, job: Job) -> JobOutcome:
        with tempfile.TemporaryDirectory(prefix="covalent-job-") as folder:
            payload, outcome = Path(folder) / "payload", Path(folder) / "outcome"
            payload.write_bytes(job.payload)
            proc = await asyncio.create_subprocess_exec(
                self.python,
                "-m",
                "covalent.runtime",
                "run",
                str(payload),
                str(outcome),
                env={**os.environ, **self.env},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            self._procs[job.job_id] = proc
            try:
                out, err = await proc.communicate()
            finally:
                self._procs.pop(job.job_id, None)
            if proc.returncode != 0 or not outcome.exists():
                raise JobFailedError(
                    f"the job's process exited with status {proc.returncode}",
                    log=(out + err).decode(errors="replace"),
                )
            return JobOutcome.from_bytes(outcome.read_bytes())

    async def cancel(self, job: Job, handle: Any) -> bool:
        proc = self._procs.get(job.job_id)
        if proc is None or proc.returncode is not None:
            return False
        proc.kill()
        await proc.wait()
        return True
