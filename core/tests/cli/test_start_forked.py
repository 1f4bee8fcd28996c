"""``covalent start`` forks itself into the server: the real command line, fresh directories, a free port.

What a spawned server guaranteed holds for the forked one: its failures are the
command's (non-zero, the server's own error in its output, no pid file left),
ready means a dispatch on the default Dask executor succeeds, ``ps`` shows the
server's command line, and stop, restart and SIGTERM end it and its Dask
workers.  Nothing here asserts a timing.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

TITLE = "-m covalent.server.main"

DISPATCH = """
import covalent as ct

@ct.electron
def add(a, b):
    return a + b

@ct.lattice
def flow(x):
    return add(add(x, 1), 2)

result = ct.get_result(ct.dispatch(flow)(1), wait=True)
print(result.status, result.result)
"""


def covalent(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "covalent.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=180,
    )


def data_dir(env: dict[str, str]) -> Path:
    return Path(env["COVALENT_DATA_DIR"])


def pid_file(env: dict[str, str]) -> dict[str, object]:
    return json.loads((data_dir(env) / "covalent.pid").read_text())


def log_text(env: dict[str, str]) -> str:
    return (data_dir(env) / "covalent.log").read_text()


#: A record's first line in the server's log (covalent.server.main's format, and Dask's in its worker processes).
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}(?: - (?P<worker>[\w.]+) - | \w+ (?P<name>[\w.]+): )")


def own_tracebacks(log: str) -> list[str]:
    """The tracebacks in the log that are not Dask's own noise while its cluster closes.

    A local cluster that closes under load logs some (dask/distributed#7105):
    a worker's heartbeat in flight as it closes its connections (ERROR, in the
    worker process), the scheduler's batched send to a worker that just closed
    (INFO).  Those follow a record of a ``distributed`` or ``tornado`` logger;
    any other traceback (the server's, the fork's printed one, which follows
    no record of Dask's) is returned with the record line before it.
    """
    found, last = [], ""
    for line in log.splitlines():
        if RECORD.match(line):
            last = line
        if "Traceback (most recent call last)" in line:
            match = RECORD.match(last)
            logger = (match.group("worker") or match.group("name")) if match else ""
            if not logger.startswith(("distributed.", "tornado.")):
                found.append(last)
    return found


def test_own_tracebacks_tells_dasks_noise_as_its_cluster_closes_from_the_servers_own():
    dask_noise = [
        "2026-12-02 18:32:06,037 - distributed.worker - ERROR - Failed to communicate with scheduler during heartbeat.",
        "Traceback (most recent call last):",
        '  File "distributed/comm/tcp.py", line 226, in read',
        "distributed.comm.core.CommClosedError: in <TCP (closed) ConnectionPool.heartbeat_worker>: Stream is closed",
        "2026-12-02 18:38:21,296 INFO distributed.batched: Batched Comm Closed <TCP (closed) Scheduler connection>",
        "Traceback (most recent call last):",
        "distributed.comm.core.CommClosedError",
    ]
    assert own_tracebacks("\n".join(dask_noise)) == []
    printed = [
        "2026-12-02 18:31:04,838 INFO uvicorn.error: Application shutdown complete.",
        "Traceback (most recent call last):",
    ]
    logged = "2026-12-02 18:31:33,303 ERROR uvicorn.error: Traceback (most recent call last):"
    assert own_tracebacks("\n".join([*dask_noise, *printed])) == [printed[0]]
    assert own_tracebacks("\n".join(["Traceback (most recent call last):", *dask_noise, logged])) == ["", logged]


def assert_refused(env: dict[str, str], out: subprocess.CompletedProcess[str], *said: str) -> None:
    """A start that failed: non-zero, the server's error in its output, no pid file, no second error."""
    assert out.returncode != 0, out.stdout
    for text in said:
        assert text in out.stderr, out.stderr
    assert not (data_dir(env) / "covalent.pid").exists()
    log = log_text(env)
    assert "Bad file descriptor" not in log and "Bad file descriptor" not in out.stderr, log


def dispatch(env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-c", DISPATCH], env=env, capture_output=True, text=True, check=True, timeout=180
    ).stdout.strip()


def started_pid(out: subprocess.CompletedProcess[str]) -> int:
    assert "started" in out.stdout and "ready in" in out.stdout, out.stdout
    return int(out.stdout.split("(pid ", 1)[1].split(",", 1)[0])


def test_a_taken_port_is_the_commands_error(env):
    with _listening(int(env["PORT"])):
        out = covalent(env, "start", "--port", env["PORT"], check=False)
    assert_refused(env, out, "address already in use")
    assert covalent(env, "status", check=False).returncode == 1


def test_another_server_answering_health_on_the_port_is_not_ready(env):
    """The old wait polled the health check; the pipe says whether it was *this* server that bound."""
    port = int(env["PORT"])
    with _healthy_impostor(port):
        out = covalent(env, "start", "--port", env["PORT"], check=False)
        assert_refused(env, out, "address already in use")
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/health")
        assert conn.getresponse().read() == b"impostor"  # it still answers, untouched
        conn.close()


def test_a_bad_numeric_setting_is_one_line_from_the_command_before_any_server_starts(env):
    covalent(env, "config", "server.max_connections", "lots")
    out = covalent(env, "start", "--port", env["PORT"], "--no-cluster", check=False)
    assert out.returncode == 1, out.stdout
    said = "server.max_connections = 'lots' in covalent.conf: expected a whole number (at least 0)"
    assert out.stderr.strip().splitlines() == [f"Error: {said}"], out.stderr
    assert not (data_dir(env) / "covalent.pid").exists() and not (data_dir(env) / "covalent.log").exists()


def test_a_database_it_cannot_migrate_is_the_commands_error(env):
    covalent(env, "start", "--port", env["PORT"], "--no-cluster")
    covalent(env, "stop")
    with sqlite3.connect(data_dir(env) / "covalent.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    out = covalent(env, "start", "--port", env["PORT"], "--no-cluster", check=False)
    assert_refused(env, out, "Can't locate revision identified by 'f00dfeed'")


def test_ready_means_a_dispatch_on_dask_succeeds_then_stop_and_restart(env):
    pid = started_pid(covalent(env, "start", "--port", env["PORT"]))
    assert pid_file(env) == {"pid": pid, "host": "127.0.0.1", "port": int(env["PORT"])}
    assert dispatch(env) == "COMPLETED 4"
    server = psutil.Process(pid)
    assert TITLE in " ".join(server.cmdline()), server.cmdline()
    assert TITLE in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    workers = server.children(recursive=True)
    assert workers, "the default executor's Dask cluster has worker processes under the server"
    log = log_text(env)
    assert f"starting on http://127.0.0.1:{env['PORT']} (pid {pid})" in log and not own_tracebacks(log), log

    restarted = started_pid(covalent(env, "restart"))
    assert restarted != pid and not server.is_running()
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "the first server's Dask workers outlived it"
    assert pid_file(env)["pid"] == restarted
    assert dispatch(env) == "COMPLETED 4"
    workers = psutil.Process(restarted).children(recursive=True)
    assert workers

    assert f"stopped (pid {restarted})" in covalent(env, "stop").stdout
    _, alive = psutil.wait_procs([*workers], timeout=10)
    assert not alive and not psutil.pid_exists(restarted)
    assert not (data_dir(env) / "covalent.pid").exists()
    log = log_text(env)
    assert not own_tracebacks(log) and "Bad file descriptor" not in log, log


def test_sigterm_to_the_forked_server_stops_it_cleanly(env):
    pid = started_pid(covalent(env, "start", "--port", env["PORT"]))
    server = psutil.Process(pid)
    workers = server.children(recursive=True)
    server.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs([server, *workers], timeout=30)
    assert not alive
    log = log_text(env)
    assert "covalent server stopped" in log and not own_tracebacks(log) and "Bad file descriptor" not in log, log
    assert covalent(env, "status", check=False).returncode == 1
    assert started_pid(covalent(env, "start", "--port", env["PORT"], "--no-cluster")) != pid


class _listening:
    """A plain socket bound and listening on the port (another program holds it)."""

    def __init__(self, port: int) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()

    def __enter__(self) -> _listening:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


class _Impostor(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"impostor")

    def log_message(self, *args: object) -> None:
        pass


class _healthy_impostor:
    """Another HTTP server on the port, answering 200 to /api/v1/health (and everything else)."""

    def __init__(self, port: int) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Impostor)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _healthy_impostor:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
