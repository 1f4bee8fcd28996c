"""Measuring this project's server: time, server CPU, disk per node, peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

import covalent as ct
from covalent.testing import ServerProcess, free_port

__all__ = ["Ours", "cpu_seconds", "dir_stats", "peak_rss", "start_to_ready", "timed"]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def peak_rss(pid: int) -> int:
    """The process's high-water mark of resident memory (VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def dir_stats(path: Path) -> tuple[int, int]:
    """Bytes and files under ``path``."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def start_to_ready(root: Path) -> float:
    """Seconds the user's ``covalent start`` takes, from the command to its return (server ready).

    The command line itself, with the default settings (the Dask executor and
    its local cluster), on fresh configuration and data directories; then
    ``covalent stop``.
    """
    env = {**os.environ, "COVALENT_CONFIG_DIR": str(root / "config"), "COVALENT_DATA_DIR": str(root / "data")}
    env.pop("COVALENT_DISPATCHER_ADDR", None)
    port = str(free_port())
    covalent = str(Path(sys.executable).with_name("covalent"))

    def run(*args: str) -> None:
        subprocess.run([covalent, *args], env=env, check=True, capture_output=True)

    seconds, _ = timed(lambda: run("start", "--port", port))
    run("stop")
    return seconds


class Ours:
    """The server on SQLite with the default Dask executor, every node persisted."""

    def __init__(self, root: Path, workers: int, threads: int) -> None:
        config = f"[executors.dask]\nn_workers = {workers}\nthreads_per_worker = {threads}\ndashboard_address = ':0'\n"
        self.server = ServerProcess(root, default_executor="dask", config=config, no_cluster=False)

    def __enter__(self) -> Ours:
        self.server.start()
        self.server.activate()
        ct.dispatch_sync(self._warm)(0)  # the cluster is up before anything is timed
        return self

    @staticmethod
    @ct.lattice
    def _warm(x: int) -> Any:
        return ct.electron(abs)(x)

    def __exit__(self, *exc: Any) -> None:
        self.server.deactivate()
        self.server.stop()

    @property
    def pid(self) -> int:
        assert self.server.proc is not None
        return self.server.proc.pid

    def result(self, lattice: Any, *args: Any) -> Any:
        """Dispatch and wait, nothing else (for loops timed whole); the workflow's result."""
        result = ct.get_result(ct.dispatch(lattice)(*args), wait=True, progress=False)
        assert result.status == "COMPLETED", result.error
        return result.result

    def run(self, lattice: Any, *args: Any) -> dict[str, Any]:
        data = self.server.data_dir
        before = dir_stats(data)
        cpu_before = cpu_seconds(self.pid)
        start = time.perf_counter()
        dispatch_id = ct.dispatch(lattice)(*args)
        returned = time.perf_counter() - start
        result = ct.get_result(dispatch_id, wait=True, progress=False)
        seconds = time.perf_counter() - start
        assert result.status == "COMPLETED", result.error
        after = dir_stats(data)
        nodes = len(lattice.transport_graph or [])
        objects = data / "objects"
        return {
            "seconds": seconds,
            "dispatch_returned": returned,
            "server_cpu": cpu_seconds(self.pid) - cpu_before,
            "nodes": nodes,
            "disk_bytes_per_node": (after[0] - before[0]) / max(1, nodes),
            "object_files": sum(1 for p in objects.rglob("*") if p.is_file()) if objects.exists() else 0,
            "result": result.result,
            "dispatch_id": dispatch_id,
        }
