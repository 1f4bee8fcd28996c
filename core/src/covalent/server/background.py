"""Controlling the background server: start, stop, find it (pid file, log file)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covalent import config
from covalent.logtail import tail_text

__all__ = [
    "ClusterOptions",
    "ServerInfo",
    "ServiceError",
    "healthy",
    "log_path",
    "pid_path",
    "running",
    "start",
    "stop",
]


#: Seconds between readiness checks while ``start`` waits: a refused connection to
#: loopback costs tens of microseconds, and every check saved off the wait is time
#: ``covalent start`` returns sooner (half the interval on average).
POLL_INTERVAL = 0.005


class ServiceError(RuntimeError):
    """The server could not be started or stopped; the message says why."""


@dataclass
class ServerInfo:
    pid: int
    host: str
    port: int

    @property
    def local_host(self) -> str:
        """Where this machine reaches it (a server on every interface answers on loopback)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    @property
    def address(self) -> str:
        return f"http://{self.local_host}:{self.port}"


@dataclass(frozen=True)
class ClusterOptions:
    """How big the default executor's local Dask cluster is (None: its own default)."""

    workers: int | None = None
    threads_per_worker: int | None = None
    #: Per worker: "auto", "4GiB", bytes, or "0" for no limit.
    mem_per_worker: str | None = None

    def arguments(self) -> list[str]:
        """The server's command-line arguments for these options."""
        out: list[str] = []
        if self.workers is not None:
            out += ["--workers", str(self.workers)]
        if self.threads_per_worker is not None:
            out += ["--threads-per-worker", str(self.threads_per_worker)]
        if self.mem_per_worker is not None:
            out += ["--mem-per-worker", str(self.mem_per_worker)]
        return out

    def executor_kwargs(self) -> dict[str, Any]:
        """What they mean to the Dask executor (``n_workers``, ``threads_per_worker``, ``memory_limit``)."""
        kwargs: dict[str, Any] = {}
        if self.workers is not None:
            kwargs["n_workers"] = int(self.workers)
        if self.threads_per_worker is not None:
            kwargs["threads_per_worker"] = int(self.threads_per_worker)
        if self.mem_per_worker is not None:
            memory = str(self.mem_per_worker).strip()
            kwargs["memory_limit"] = 0 if memory in ("0", "") else memory
        return kwargs


def pid_path() -> Path:
    return config.data_dir() / "covalent.pid"


def log_path() -> Path:
    return config.data_dir() / "covalent.log"


def running() -> ServerInfo | None:
    """The server this data directory belongs to, if its process is alive."""
    path = pid_path()
    try:
        data = json.loads(path.read_text())
        info = ServerInfo(int(data["pid"]), str(data["host"]), int(data["port"]))
    except (OSError, ValueError, KeyError):
        return None  # no pid file: psutil not even imported (``covalent start`` spawns the server sooner)
    import psutil

    if not psutil.pid_exists(info.pid):
        path.unlink(missing_ok=True)
        return None
    try:
        if psutil.Process(info.pid).status() == psutil.STATUS_ZOMBIE:
            path.unlink(missing_ok=True)
            return None
    except psutil.NoSuchProcess:
        return None
    return info


def healthy(info: ServerInfo) -> bool:
    """Whether it answers its health check.

    One local GET with the standard library's client: ``covalent start`` then
    does not import httpx, a tenth of its own time.  Imported here, after the
    server was spawned (``http.client`` brings the ``email`` package), so
    that import overlaps the server's own start instead of delaying it.
    """
    import http.client

    conn = http.client.HTTPConnection(info.local_host, info.port, timeout=0.5)
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def start(
    host: str,
    port: int,
    *,
    no_cluster: bool = False,
    triggers: str = "on",
    timeout: float = 30.0,
    cluster: ClusterOptions | None = None,
    log_level: str | None = None,
) -> tuple[ServerInfo, float]:
    """Start the server in the background; returns it and the seconds until it was ready.

    ``cluster`` sizes the local Dask cluster of the default executor for this
    run of the server (``covalent start -n/-t/-m``); nothing is saved.
    """
    existing = running()
    if existing is not None:
        raise ServiceError(f"a server is already running at {existing.address} (pid {existing.pid})")
    config.private_dir(config.data_dir())
    command = [
        sys.executable,
        "-m",
        "covalent.server.main",
        "--host",
        host,
        "--port",
        str(port),
        "--log-file",
        str(log_path()),
    ]
    if no_cluster:
        command.append("--no-cluster")
    if triggers != "on":
        command.append({"off": "--no-triggers", "only": "--triggers-only"}[triggers])
    if log_level:
        command += ["--log-level", log_level]
    command += (cluster or ClusterOptions()).arguments()
    began = time.monotonic()
    with open(os.devnull, "rb") as devnull, os.fdopen(config.open_private(log_path()), "ab") as log:
        proc = subprocess.Popen(command, stdin=devnull, stdout=log, stderr=log, start_new_session=True)
    info = ServerInfo(proc.pid, host, port)
    with os.fdopen(config.open_private(pid_path(), os.O_WRONLY | os.O_TRUNC), "w") as pid_file:
        pid_file.write(json.dumps({"pid": proc.pid, "host": host, "port": port}))
    while time.monotonic() - began < timeout:
        if proc.poll() is not None:
            pid_path().unlink(missing_ok=True)
            raise ServiceError(
                f"the server exited with status {proc.returncode}; see {log_path()}:\n{tail_text(log_path(), 15)}"
            )
        if healthy(info):
            return info, time.monotonic() - began
        time.sleep(POLL_INTERVAL)
    raise ServiceError(f"the server did not become ready within {timeout:.0f} s; see {log_path()}")


def stop(timeout: float = 20.0) -> ServerInfo | None:
    """Stop the server gracefully (SIGTERM), then forcefully; None if none was running."""
    info = running()
    if info is None:
        return None
    import psutil

    try:
        proc = psutil.Process(info.pid)
        children = proc.children(recursive=True)
        proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs([proc], timeout=timeout)
        for p in alive:
            p.kill()
        # Anything the server started and left behind (cluster workers) goes too.
        _, stragglers = psutil.wait_procs(children, timeout=5)
        for p in stragglers:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    pid_path().unlink(missing_ok=True)
    return info
