"""Dask as the server's default executor: dispatch, status, cancel and shutdown end to end."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import covalent as ct
from covalent.testing import ServerProcess, wait_until

CONFIG = """
[executors.dask]
n_workers = 2
threads_per_worker = 1
memory_limit = "1GiB"
dashboard_address = ":0"
cancel_grace = 3.0
"""


@ct.electron
def square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@ct.electron
def total(pairs: list) -> dict:
    return {"sum": sum(v for v, _ in pairs), "pids": sorted({p for _, p in pairs})}


@ct.lattice
def squares(n: int) -> dict:
    return total([square(i) for i in range(n)])


@ct.electron
def heartbeat(marker: str) -> str:
    with open(marker + ".started", "w") as f:
        f.write(str(os.getpid()))
    for i in range(6000):
        with open(marker + ".beat", "w") as f:
            f.write(str(i))
        time.sleep(0.1)
    return "finished"


@ct.lattice
def beating(marker: str) -> str:
    return heartbeat(marker)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(condition, timeout: float) -> bool:
    return bool(wait_until(condition, timeout, interval=0.2, what=None))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("server"), default_executor="", config=CONFIG, no_cluster=False)
    with process:
        yield process


def _status(server: ServerProcess) -> dict:
    return httpx.get(f"{server.address}/api/v1/status", timeout=10).json()


def test_default_executor_runs_a_wide_dispatch(server: ServerProcess) -> None:
    dispatch_id = ct.dispatch(squares)(40)
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result["sum"] == sum(i * i for i in range(40))
    assert os.getpid() not in result.result["pids"]
    status = _status(server)
    assert status["default_executor"] == "dask"
    dask = [e for e in status["executors"] if e["name"] == "dask"]
    assert dask and dask[0]["running"] is True
    assert dask[0]["workers"] == 2 and dask[0]["threads"] == 2
    assert dask[0]["dashboard"].startswith("http://")


def test_cancel_stops_the_running_task(server: ServerProcess, tmp_path: Path) -> None:
    marker = str(tmp_path / "beat")
    dispatch_id = ct.dispatch(beating)(marker)
    assert _wait(lambda: os.path.exists(marker + ".started"), 120), "the task never started"
    ct.cancel(dispatch_id)
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.CANCELLED
    time.sleep(1.0)
    beat = _read(marker + ".beat")
    time.sleep(2.0)
    assert _read(marker + ".beat") == beat, "the cancelled task is still running"


def test_stopping_the_server_stops_the_cluster(tmp_path_factory: pytest.TempPathFactory) -> None:
    process = ServerProcess(
        tmp_path_factory.mktemp("server-stop"),
        default_executor="",
        config=CONFIG,
        no_cluster=False,
    )
    with process:
        result = ct.get_result(ct.dispatch(squares)(4), wait=True)
        assert result.status == ct.status.COMPLETED, result.error
        pids = result.result["pids"]
        assert pids and all(_alive(p) for p in pids)
    assert _wait(lambda: not any(_alive(p) for p in pids), 30), "dask workers outlived the server"
    log = process.log()
    assert "teardown of dask failed" not in log
    assert "Closing scheduler" in log  # the executor's teardown closed its LocalCluster


@ct.electron(time_limit=1)
def stuck_in_c(seconds: float) -> str:
    time.sleep(seconds)  # one C call: the interrupt waits for it, then the worker is restarted
    return "finished"


@ct.lattice
def overtime(seconds: float) -> str:
    return stuck_in_c(seconds)


def test_a_time_limit_fails_the_node_at_the_limit_while_the_task_is_stopped(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Stopping a task stuck in C takes the grace period and a worker restart: the node must not wait for it."""
    slow_to_stop = CONFIG.replace("cancel_grace = 3.0", "cancel_grace = 30.0")
    process = ServerProcess(
        tmp_path_factory.mktemp("overtime"), default_executor="", config=slow_to_stop, no_cluster=False
    )
    with process:
        assert ct.get_result(ct.dispatch(squares)(2), wait=True).status == ct.status.COMPLETED  # the cluster is up
        result = ct.dispatch_sync(overtime)(120)
        assert result.status == ct.status.FAILED
        node = next(n for n in result.get_all_node_results() if n["node_name"] == "stuck_in_c")
        assert "time limit of 1 s exceeded" in node["error"]
        assert node["start_time"] and node["end_time"], node
        took = (node["end_time"] - node["start_time"]).total_seconds()
        assert took < 15  # at the limit, not after the 30 s it takes to stop
        assert ct.get_result(ct.dispatch(squares)(4), wait=True).status == ct.status.COMPLETED  # still serving


@ct.electron
def nap(i: int) -> int:
    time.sleep(0.01)
    return i


@ct.lattice
def naps(n: int) -> list:
    return [nap(i) for i in range(n)]


def _channel_jobs(address: str) -> int:
    """Jobs the job channel has run on the cluster's workers."""
    from distributed import Client

    from covalent_dask.shipping import by_value
    from covalent_dask.worker import channel_jobs

    with Client(address, timeout=30) as client:
        return sum(client.run(by_value(channel_jobs)).values())


def test_every_job_of_a_map_of_short_tasks_goes_by_the_job_channel(server: ServerProcess) -> None:
    """Tasks the server knows to be short wait in the workers' queues or here, never at the scheduler."""
    learn = ct.get_result(ct.dispatch(naps)(8), wait=True, progress=False)  # the server learns how long a nap takes
    assert learn.status == ct.status.COMPLETED, learn.error
    (dask,) = [e for e in _status(server)["executors"] if e["name"] == "dask"]
    before = _channel_jobs(dask["scheduler_address"])
    result = ct.get_result(ct.dispatch(naps)(200), wait=True, progress=False)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == list(range(200))
    timeline = httpx.get(f"{server.address}/api/v1/dispatches/{result.dispatch_id}/timeline", timeout=30).json()
    jobs = {node["submitted_at"] for node in timeline["nodes"] if node["submitted_at"]}  # one per job
    assert len({n["submitted_at"] for n in timeline["nodes"] if n["name"] == "nap"}) > 4  # more than the slots
    assert _channel_jobs(dask["scheduler_address"]) - before == len(jobs)
