"""Dask through the server: a separate scheduler and worker, and a worker killed mid-task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import covalent as ct
from covalent.testing import ServerProcess, free_port, wait_until

DASK_CLI = str(Path(sys.executable).with_name("dask"))


def _wait(condition, timeout: float, what: str) -> None:
    wait_until(condition, timeout, interval=0.1, what=what)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(15)


@pytest.fixture
def dask_cluster(tmp_path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A `dask scheduler` and a `dask worker`, each its own process group."""
    address = f"tcp://127.0.0.1:{free_port()}"
    log = open(tmp_path / "dask.log", "wb")  # noqa: SIM115 - closed below
    scheduler = subprocess.Popen(
        [DASK_CLI, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [DASK_CLI, "worker", address, "--nthreads", "1", "--no-dashboard", "--local-directory", str(tmp_path / "w")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        from distributed import Client

        def ready() -> bool:
            try:
                with Client(address, timeout=5) as client:
                    return len(client.scheduler_info()["workers"]) == 1
            except OSError:
                return False

        _wait(ready, 90, "the dask worker")
        yield address, worker
    finally:
        _stop(worker)
        _stop(scheduler)
        log.close()


def where() -> int:
    return os.getpid()


def test_dispatch_reaches_a_separate_scheduler_and_worker(dask_cluster, tmp_path):
    address, worker = dask_cluster

    @ct.lattice
    def wf():
        return ct.electron(where)()

    config = f'[executors.dask]\nscheduler_address = "{address}"\n'
    with ServerProcess(tmp_path / "server", default_executor="dask", config=config, no_cluster=False) as server:
        result = ct.dispatch_sync(wf)()
        status = httpx.get(f"{server.address}/api/v1/status").json()
    assert result.status == "COMPLETED", result.error
    worker_pids = {child.pid for child in __import__("psutil").Process(worker.pid).children(recursive=True)}
    assert result.result in worker_pids | {worker.pid}
    dask = next(e for e in status["executors"] if e["name"] == "dask")
    assert dask["cluster"] == "external" and dask["scheduler_address"] == address


def suicidal_once(marker: str) -> str:
    """Kills its own worker process the first time it runs; succeeds when run again."""
    if not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return "survived"


def always_suicidal() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_worker_killed_mid_task_is_retried_or_failed_clearly_never_hangs(tmp_path):
    config = '[executors.dask]\nn_workers = 2\nthreads_per_worker = 1\ndashboard_address = ":0"\n'

    @ct.lattice
    def once(marker):
        return ct.electron(suicidal_once)(marker)

    @ct.lattice
    def always():
        return ct.electron(always_suicidal)()

    server = ServerProcess(tmp_path / "server", default_executor="dask", config=config, no_cluster=False)
    with server:
        started = time.monotonic()
        retried = ct.dispatch_sync(once)(str(tmp_path / "died-once"))
        assert retried.status == "COMPLETED" and retried.result == "survived"
        failed = ct.dispatch_sync(always)()
        assert failed.status == "FAILED"
        error = failed.get_node_result(0)["error"]
        assert "worker" in error.lower(), error  # the message says a worker died, not a bare traceback
        assert time.monotonic() - started < 240
