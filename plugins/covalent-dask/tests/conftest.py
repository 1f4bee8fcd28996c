"""Fixtures shared by the bondflow-dask tests: a real Dask scheduler and worker as OS processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from covalent.testing import wait_until as poll_until

HIDDEN_PACKAGE = (
    'raise ImportError("bondflow-dask is hidden from this worker on purpose: its worker code must arrive by value")\n'
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, and its children (its own session), by id."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def _wait_for_workers(address: str, count: int, timeout: float) -> None:
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        client.wait_for_workers(count, timeout=timeout)


@pytest.fixture(scope="session")
def dask_cli() -> str:
    """The ``dask`` command of this environment."""
    path = Path(sys.executable).parent / "dask"
    assert path.exists(), f"no dask command beside {sys.executable}"
    return str(path)


@pytest.fixture(scope="module")
def external_scheduler(dask_cli: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A ``dask scheduler`` and a ``dask worker`` (1 process, 2 threads, with a nanny).

    The worker cannot import ``covalent_dask`` (a package of that name that
    raises ImportError comes first on its path): it gets only ``covalent``
    and ``distributed``, like a user's existing cluster.
    """
    base = tmp_path_factory.mktemp("external-dask")
    hidden = base / "hidden"
    (hidden / "covalent_dask").mkdir(parents=True)
    (hidden / "covalent_dask" / "__init__.py").write_text(HIDDEN_PACKAGE)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = base / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with open(logs / "scheduler.log", "wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        dask_cli,
                        "scheduler",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--dashboard-address",
                        f"127.0.0.1:{_free_port()}",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(hidden), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        with open(logs / "worker.log", "wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        dask_cli,
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "2",
                        "--no-dashboard",
                        "--local-directory",
                        str(base / "work"),
                        "--name",
                        "covalent-test-worker",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=env,
                    cwd=base,
                )
            )
        try:
            _wait_for_workers(address, 1, timeout=90)
        except Exception as exc:
            text = "\n".join(p.read_text() for p in sorted(logs.iterdir()))
            raise AssertionError(f"the dask processes did not start: {exc!r}\n{text}") from exc
        yield {"address": address, "processes": processes, "logs": logs}
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture
def wait_until():
    """Poll ``condition`` until true or ``timeout`` seconds pass; returns the last value."""

    def wait(condition, timeout: float = 30.0, interval: float = 0.1):
        return poll_until(condition, timeout, interval=interval, what=None)

    return wait
