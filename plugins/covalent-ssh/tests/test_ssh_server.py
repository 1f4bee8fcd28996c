"""The SSH executor under a real server: re-attaching after kill -9, an unreachable host."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import covalent as ct
from covalent.testing import ServerProcess, free_port
from covalent_ssh import SSHExecutor


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path / "server", default_executor="local") as running:
        yield running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def test_a_restarted_server_reattaches_to_the_running_task(
    server: ServerProcess, options: dict[str, Any], remote_root: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    executor = SSHExecutor(**options)

    @ct.electron(executor=executor)
    def slow(path: str) -> int:
        import os as _os
        import time as _time

        with open(path, "a") as f:
            f.write(f"{_os.getpid()}\n")
        _time.sleep(6)
        return 42

    @ct.lattice
    def flow(path: str) -> int:
        return slow(path) + 1

    dispatch_id = ct.dispatch(flow)(str(runs))
    deadline = time.monotonic() + 60
    while not runs.exists():
        assert time.monotonic() < deadline, f"the task never started:\n{server.log()}"
        time.sleep(0.1)
    pid = int(runs.read_text().split()[0])
    server.kill()  # SIGKILL: the server records nothing more
    assert _alive(pid), "the remote task must outlive the server"
    server.start()
    result = ct.get_result(dispatch_id, wait=True)
    assert result.status == ct.status.COMPLETED, result.error
    assert result.result == 43
    assert runs.read_text().split() == [str(pid)], "the task ran again instead of being re-attached"
    assert not list((remote_root / "cache").glob(f"{dispatch_id}/*")), "its staging folder is left behind"


def test_an_unreachable_host_fails_its_node_and_the_dispatch_goes_on(
    server: ServerProcess, options: dict[str, Any]
) -> None:
    nowhere = SSHExecutor(**{**options, "port": free_port(), "connect_timeout": 5})

    @ct.electron(executor=nowhere)
    def remote(x: int) -> int:
        return x

    @ct.electron
    def local(x: int) -> int:
        return x * 10

    @ct.lattice
    def flow(x: int) -> Any:
        return [remote(x), local(x)]

    result = ct.dispatch_sync(flow)(4)
    assert result.status == ct.status.FAILED
    nodes = {r["node_name"]: r for r in result.get_all_node_results()}
    assert nodes["remote"]["status"] == ct.status.FAILED
    assert "cannot open an SSH connection to" in nodes["remote"]["error"]
    assert nodes["local"]["status"] == ct.status.COMPLETED and nodes["local"]["output"] == 40
