"""Transfers with the ``rsync`` program: locally, or over SSH to a host with the user's key.

Users pick rsync for speed on large folders, so it stays rsync (not fsspec).
Paths keep rsync's meaning: a source folder ending in ``/`` copies its
contents, without it the folder itself.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from covalent.runtime.transfer.copying import Moved
from covalent.runtime.transfer.spec import TransferSpec

__all__ = ["RsyncError", "rsync_command", "run_rsync"]


class RsyncError(RuntimeError):
    """rsync exited non-zero; ``transient`` when trying again may help (the connection failed)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _ssh_command(options: Mapping[str, Any]) -> list[str]:
    ssh = ["ssh", "-o", "BatchMode=yes"]
    if options.get("private_key_path"):
        ssh += ["-i", os.path.expanduser(str(options["private_key_path"]))]
    if options.get("port"):
        ssh += ["-p", str(int(options["port"]))]
    for option in options.get("ssh_options") or ():
        ssh += ["-o", str(option)]
    return ssh


def _remote(options: Mapping[str, Any], path: str) -> str:
    user = str(options.get("user") or "")
    host = str(options["host"])
    return f"{user}@{host}:{path}" if user else f"{host}:{path}"


def rsync_command(spec: TransferSpec) -> list[str]:
    """The rsync command line of ``spec`` (no shell involved)."""
    options = spec.options
    command = ["rsync", "-a", "--stats"]
    source, destination = spec.source, spec.destination
    if options.get("host") and spec.remote_side:
        command += ["-e", shlex.join(_ssh_command(options))]
        if spec.remote_side == "source":
            source = _remote(options, source)
        else:
            destination = _remote(options, destination)
    return [*command, source, destination]


_TRANSIENT_CODES = {10, 12, 30, 35, 255}
_PERMANENT_TEXT = ("Permission denied", "Host key verification failed", "No such file", "Could not resolve hostname")


def _stat(output: str, label: str) -> int:
    match = re.search(rf"{label}: ([\d,]+)", output)
    return int(match.group(1).replace(",", "")) if match else 0


def run_rsync(spec: TransferSpec) -> Moved:
    if shutil.which("rsync") is None:
        raise FileNotFoundError("the rsync program is not installed where the task runs (apt-get install rsync)")
    local_destination = spec.destination if spec.remote_side != "destination" else ""
    if local_destination:
        parent = local_destination if local_destination.endswith("/") else os.path.dirname(local_destination)
        if parent:
            os.makedirs(parent, exist_ok=True)
    proc = subprocess.run(rsync_command(spec), capture_output=True, text=True, check=False)
    if proc.returncode:
        error = proc.stderr.strip() or proc.stdout.strip()
        transient = proc.returncode in _TRANSIENT_CODES and not any(t in error for t in _PERMANENT_TEXT)
        raise RsyncError(f"rsync exited with {proc.returncode}: {error}", transient=transient)
    return Moved(
        files=_stat(proc.stdout, "Number of regular files transferred"),
        bytes=_stat(proc.stdout, "Total transferred file size"),
    )
