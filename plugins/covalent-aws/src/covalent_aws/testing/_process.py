"""Subprocess helpers shared by the fake Batch compute and the fake Lambda runtime."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import IO

__all__ = ["OutputCollector", "kill_group"]


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill a process started with ``start_new_session=True`` and all its children."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass
    proc.wait()


class OutputCollector:
    """Read a pipe to its end in a thread, keeping the lines."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._pipe = pipe
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in iter(self._pipe.readline, b""):
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
        self._pipe.close()

    def join(self, timeout: float = 10.0) -> list[str]:
        self._thread.join(timeout)
        return list(self.lines)
