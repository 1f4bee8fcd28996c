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
from typing import NoReturn, Protocol

from covalent import config
from covalent.logtail import tail_text
from covalent.server.cluster_options import ClusterOptions

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


#: Seconds between health checks once the server said it serves (normally the first
#: check answers), and between looks at a server that closed its pipe for its status.
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
    fork: bool = False,
) -> tuple[ServerInfo, float]:
    """Start the server in the background; returns it and the seconds until it was ready.

    ``cluster`` sizes the local Dask cluster of the default executor for this
    run of the server (``covalent start -n/-t/-m``); nothing is saved.

    ``fork``: this process becomes the server by ``os.fork`` instead of
    spawning ``python -m covalent.server.main`` (``covalent start``: no second
    interpreter to start, and what the command imported is not imported
    again).  Only for a process with no thread of its own and nothing of the
    user's in memory: the command line, never a notebook.  Either way the
    server tells this process through a pipe once it serves (``--ready-fd``),
    and ready means it then answered its health check.
    """
    existing = running()
    if existing is not None:
        raise ServiceError(f"a server is already running at {existing.address} (pid {existing.pid})")
    config.private_dir(config.data_dir())
    arguments = ["--host", host, "--port", str(port), "--log-file", str(log_path())]
    if no_cluster:
        arguments.append("--no-cluster")
    if triggers != "on":
        arguments.append({"off": "--no-triggers", "only": "--triggers-only"}[triggers])
    if log_level:
        arguments += ["--log-level", log_level]
    arguments += (cluster or ClusterOptions()).arguments()
    began = time.monotonic()
    read_end, write_end = os.pipe()
    stdin, log = os.open(os.devnull, os.O_RDONLY), config.open_private(log_path())
    launcher = os.getpid()
    try:
        child = _fork(arguments, stdin, log, write_end, read_end) if fork else _spawn(arguments, stdin, log, write_end)
    finally:
        # A forked server ends by SystemExit raised through here; it closed its copies of
        # these (or made them its stdin, stdout, stderr and ready pipe) long before.
        if os.getpid() == launcher:
            for fd in (stdin, log, write_end):
                os.close(fd)
    info = ServerInfo(child.pid, host, port)
    with os.fdopen(config.open_private(pid_path(), os.O_WRONLY | os.O_TRUNC), "w") as pid_file:
        pid_file.write(json.dumps({"pid": child.pid, "host": host, "port": port}))
    try:
        _await_ready(child, read_end, info, began + timeout, timeout)
    except ServiceError:
        pid_path().unlink(missing_ok=True)
        raise
    finally:
        os.close(read_end)
    return info, time.monotonic() - began


class _Child(Protocol):
    """The started server process, as this process sees it (``subprocess.Popen``'s names)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...


def _spawn(arguments: list[str], stdin: int, log: int, ready: int) -> _Child:
    """``python -m covalent.server.main`` in a session of its own."""
    command = [sys.executable, "-m", "covalent.server.main", *arguments, "--ready-fd", str(ready)]
    return subprocess.Popen(command, stdin=stdin, stdout=log, stderr=log, start_new_session=True, pass_fds=(ready,))


@dataclass
class _Forked:
    """A child made by ``os.fork``: its status read with ``waitpid``, as ``Popen.poll`` does."""

    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def _fork(arguments: list[str], stdin: int, log: int, ready: int, parent_end: int) -> _Child:
    """This process forks; the child becomes the server and never returns from here.

    The child is made to look like ``python -m covalent.server.main`` where
    that shows: its title (``ps``, ``/proc/PID/cmdline``), ``sys.argv``,
    ``sys.path[0]`` (the working directory, as under ``-m``) and ``__main__``
    (which Dask's spawned worker processes import, as they import the
    spawned server's).  It is a session leader with stdin from /dev/null and
    stdout and stderr to the log, and it holds no descriptor its launcher
    handed down (an inheritable one: this process's own are close-on-exec),
    so a caller reading this command's output sees its end when it returns.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # nothing buffered before the fork is written twice
    pid = os.fork()
    if pid:
        return _Forked(pid)
    code: object = 1
    try:
        os.setsid()
        os.dup2(stdin, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in {stdin, log, parent_end} - {0, 1, 2}:
            os.close(fd)
        for fd in _inherited_descriptors():
            if fd != ready:
                os.close(fd)
        from setproctitle import setproctitle

        from covalent.server import main as server

        sys.modules["__main__"] = server
        sys.argv = [server.__file__ or "", *arguments]
        sys.path[0] = os.getcwd()
        setproctitle(" ".join([sys.executable, "-m", server.__name__, *arguments]))
        code = server.main([*arguments, "--ready-fd", str(ready)])
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        import traceback

        traceback.print_exc()
    # The server ends as a process does (atexit, threads joined, streams flushed), never
    # back in the command that forked it.
    raise SystemExit(code)


def _inherited_descriptors() -> list[int]:
    """Open descriptors above stderr that would survive an exec: handed down by whoever ran us."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed by now
            pass
    return found


def _await_ready(child: _Child, ready: int, info: ServerInfo, deadline: float, timeout: float) -> None:
    """Until the server says it serves (a byte on ``ready``) and answers its health check.

    Its end before that (the pipe's end of file) is the error, with the log's
    tail: a taken port, a bad setting, a database it cannot migrate.
    """
    import http.client  # noqa: F401  (healthy's, imported while the server starts rather than after)
    import select

    said = False
    while time.monotonic() < deadline:
        if not said:
            readable, _, _ = select.select([ready], [], [], max(0.0, deadline - time.monotonic()))
            if not readable:
                break
            said = bool(os.read(ready, 1))
            if not said:  # every holder of the pipe's other end closed it: the server ended
                _raise_exited(child, time.monotonic() + 5)
        if child.poll() is not None:
            _raise_exited(child, deadline)
        if healthy(info):
            return
        time.sleep(POLL_INTERVAL)  # it said it serves: only a moment, if at all
    raise ServiceError(f"the server did not become ready within {timeout:.0f} s; see {log_path()}")


def _raise_exited(child: _Child, deadline: float) -> NoReturn:
    while (code := child.poll()) is None and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
    status = "closed its pipe without serving" if code is None else f"exited with status {code}"
    raise ServiceError(f"the server {status}; see {log_path()}:\n{tail_text(log_path(), 15)}")


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
