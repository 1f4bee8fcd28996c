"""A job's channel between the server and the worker running a Covalent-contract executor: a folder of files.

The worker writes ``pid`` (its process id and start time) when it starts
and ``handle.json`` whenever the executor calls ``set_job_handle``; the
server creates ``cancel`` to answer ``get_cancel_requested()``.  The folder
is also the task's ``results_dir`` (Covalent's executors put files under
``results_dir/<dispatch_id>``).  It lives in the server's data folder, so
a restarted server finds what a job left (its handle, its worker) and
stops it before the task runs again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["JobChannel", "process_start_time"]


def process_start_time(pid: int) -> str:
    """The process's start time in clock ticks (``/proc/<pid>/stat``), "" if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


@dataclass(frozen=True)
class JobChannel:
    """The files of one job (``folder`` is JSON-safe: it goes in the job's handle)."""

    folder: str

    @property
    def path(self) -> Path:
        return Path(self.folder)

    @property
    def results_dir(self) -> str:
        return str(self.path / "results")

    def create(self) -> JobChannel:
        (self.path / "results").mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # -- the worker's side ---------------------------------------------------------
    def save_pid(self) -> None:
        pid = os.getpid()
        self._write("pid", f"{pid} {process_start_time(pid)}")

    def save_handle(self, handle_json: str) -> None:
        self._write("handle.json", handle_json)

    def cancel_requested(self) -> bool:
        return (self.path / "cancel").exists()

    # -- the server's side ---------------------------------------------------------
    def request_cancel(self) -> None:
        if self.path.exists():
            (self.path / "cancel").touch()

    def handle(self) -> Any:
        """The handle the executor saved, or None."""
        try:
            return json.loads((self.path / "handle.json").read_text())
        except (OSError, ValueError):
            return None

    def kill_worker(self) -> bool:
        """Kill the worker process that ran this job, if it still runs (never a recycled pid); True if killed."""
        try:
            pid_text, started = (self.path / "pid").read_text().split()
        except (OSError, ValueError):
            return False
        pid = int(pid_text)
        if not started or process_start_time(pid) != started:
            return False
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def _write(self, name: str, text: str) -> None:
        tmp = self.path / f".{name}.part"
        tmp.write_text(text)
        os.replace(tmp, self.path / name)
