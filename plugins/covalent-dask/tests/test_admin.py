"""The cluster admin: ``covalent cluster`` on the server's own cluster, and Covalent's DaskAdminWorker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from covalent.testing import ServerProcess, free_port, wait_until
from covalent_dask import admin

CONFIG = """
[executors.dask]
dashboard_address = ":0"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("admin"), default_executor="dask", no_cluster=False, config=CONFIG)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def covalent(server: ServerProcess, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.env}
    command = [sys.executable, "-m", "covalent.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=check, timeout=120)


def _admin_address(server: ServerProcess) -> str:
    def found() -> list[str]:  # the server starts its default cluster in the background
        status = json.loads(covalent(server, "status", "--json").stdout)
        return [e["admin_address"] for e in status["executors"] if e["name"] == "dask" and e.get("admin_address")]

    return wait_until(found, 120, interval=0.5, what="the cluster admin's address in covalent status")[0]


def test_covalent_cluster_commands_on_the_servers_cluster(server):
    uri = _admin_address(server)
    assert uri.startswith("tcp://127.0.0.1:")
    status = json.loads(covalent(server, "cluster", "--status").stdout.rsplit("}", 1)[0] + "}")
    assert status["scheduler"] == "running" and any(k.startswith("worker-") for k in status)
    size = int(covalent(server, "cluster", "--size").stdout)
    addresses = json.loads(covalent(server, "cluster", "--address").stdout)
    assert len(addresses["workers"]) == size and addresses["scheduler"].startswith("tcp://127.0.0.1:")
    info = json.loads(covalent(server, "cluster", "--info").stdout)
    assert info["type"] == "Scheduler" and len(info["workers"]) == size
    assert "Cluster scaling to 1" in covalent(server, "cluster", "--scale", "1").stdout
    wait_until(lambda: int(covalent(server, "cluster", "--size").stdout) == 1, 120, interval=0.5, what="1 worker")
    assert "Cluster restarted." in covalent(server, "cluster", "--restart").stdout
    assert json.loads(covalent(server, "cluster", "--address").stdout)["workers"] != addresses["workers"]
    assert "scheduler" in covalent(server, "cluster", "--logs").stdout


def test_cluster_without_a_server_is_a_clear_error(tmp_path):
    env = {
        **os.environ,
        "COVALENT_DISPATCHER_ADDR": f"http://127.0.0.1:{free_port()}",
        "COVALENT_CONFIG_DIR": str(tmp_path),
        "COVALENT_DATA_DIR": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-m", "covalent.cli", "cluster"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode != 0 and "covalent start" in out.stderr


def test_admin_thread_serves_a_synchronous_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        port = free_port()
        thread = admin.AdminThread(cluster, "127.0.0.1", port)
        thread.start()
        assert thread.ready.wait(60)
        uri = f"tcp://127.0.0.1:{port}"
        assert asyncio.run(admin.cluster_size(uri)) == 1
        expected = {"scheduler": "running", "worker-0": "running"}
        wait_until(lambda: asyncio.run(admin.cluster_status(uri)) == expected, 60, what="a running worker")
        asyncio.run(admin.cluster_scale(uri, 2))
        wait_until(lambda: asyncio.run(admin.cluster_size(uri)) == 2, 120, interval=0.2, what="2 workers")
    assert asyncio.run(admin.cluster_status(f"tcp://127.0.0.1:{free_port()}")) is False


def test_start_sizes_the_default_cluster_for_this_run(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "COVALENT_DISPATCHER_ADDR": f"http://127.0.0.1:{port}",
        "COVALENT_CONFIG_DIR": str(tmp_path / "config"),
        "COVALENT_DATA_DIR": str(tmp_path / "data"),
    }

    def run(*args: str) -> str:
        command = [sys.executable, "-m", "covalent.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120).stdout

    run("start", "--port", str(port), "-n", "1", "-t", "1", "-m", "1GiB")
    try:

        def running() -> list[dict]:
            executors = json.loads(run("status", "--json"))["executors"]
            return executors if any(e.get("running") for e in executors) else []

        executors = wait_until(running, 120, interval=0.5, what="the default cluster running")
        dask = next(e for e in executors if e["name"] == "dask")
        assert dask["config"]["kwargs"] == {"n_workers": 1, "threads_per_worker": 1, "memory_limit": "1GiB"}
        assert dask["workers"] == 1 and dask["threads"] == 1
        conf = tmp_path / "config" / "covalent.conf"
        assert not conf.exists() or "n_workers" not in conf.read_text()  # nothing was saved
    finally:
        run("stop")
