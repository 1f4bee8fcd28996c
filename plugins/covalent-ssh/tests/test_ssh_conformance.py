"""The executor conformance suite against a real sshd on loopback, plus what only SSH has."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from covalent.executor.jobs import JobFailedError
from covalent.testing import ExecutorConformance, ExecutorHarness, make_job, node_value
from covalent_ssh.connections import POOL
from covalent_ssh.testing.sshd import SSHServer


def _where() -> dict[str, Any]:
    return {"cwd": os.getcwd(), "pid": os.getpid(), "sid": os.getsid(0), "var": os.environ.get("COVALENT_TEST_VAR")}


def _sleep(seconds: float, marker: str) -> str:
    with open(marker, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(seconds)
    return "woke"


class TestSSHConformance(ExecutorConformance):
    start_timeout = 60.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls, make_executor: Any):
        return make_executor(env={"COVALENT_TEST_VAR": "from-env"})

    def test_task_runs_in_its_workdir_in_a_session_of_its_own(
        self, harness: ExecutorHarness, remote_root: Path
    ) -> None:
        job = make_job(_where)
        info = node_value(harness.run(job).nodes[0])
        handle = harness.handles[job.job_id]
        assert info["cwd"] == str(remote_root / "work")
        assert info["var"] == "from-env"
        assert info["sid"] != os.getsid(0)  # setsid: not the server's session
        assert handle["host"].endswith(f"@127.0.0.1:{harness.executor.describe()['host'].rsplit(':', 1)[1]}")
        assert not Path(handle["job_dir"]).exists(), "the staging folder is removed after the job"

    def test_all_jobs_share_one_connection(self, harness: ExecutorHarness, make_executor: Any) -> None:
        futures = [harness.submit(make_job(_where)) for _ in range(6)]
        for future in futures:
            future.result(120)
        other = make_executor(poll_freq=0.3)  # a second configuration for the same host
        harness.call(other.setup(), timeout=60)
        try:
            assert harness.call(_open_count(other), timeout=10) == 1
        finally:
            harness.call(other.teardown(), timeout=60)
        assert harness.call(_open_count(harness.executor), timeout=10) == 1

    def test_time_limit_is_enforced_on_the_host(self, harness: ExecutorHarness, tmp_path: Path) -> None:
        job = make_job(_sleep, 600.0, str(tmp_path / "started"))
        job.time_limit = 2.0
        begin = time.monotonic()
        with pytest.raises(JobFailedError, match=r"ran longer than its time limit of 2 s and was stopped"):
            harness.run(job, timeout=120)
        assert time.monotonic() - begin < 60
        pid = int((tmp_path / "started").read_text())
        assert not _alive(pid)

    def test_cancel_kills_the_remote_session(self, harness: ExecutorHarness, tmp_path: Path) -> None:
        job = make_job(_sleep, 600.0, str(tmp_path / "started"))
        future = harness.submit(job)
        _wait_for(lambda: (tmp_path / "started").exists(), 60, "the task never started")
        pid = int((tmp_path / "started").read_text())
        assert harness.cancel(job) is True
        assert not _alive(pid)
        with pytest.raises(JobFailedError):
            future.result(timeout=60)


async def _open_count(executor: Any) -> int:
    return POOL.open_count(executor._transport.target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_for(check: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def test_wrong_host_key_is_refused(sshd: SSHServer, make_executor: Any, tmp_path: Path) -> None:
    stranger = tmp_path / "known_hosts"
    stranger.write_text(
        f"[127.0.0.1]:{sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBd0bpOyK1c6CFKGiqfGOSmV1K3i4FQ5Q4v1ZTlgTlj8\n"
    )
    executor = make_executor(known_hosts=str(stranger))
    with pytest.raises(ConnectionError, match=r"host key is not the one in .*refusing to connect"):
        asyncio.run(executor.setup())


def test_unknown_host_key_is_refused(sshd: SSHServer, make_executor: Any, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(ConnectionError, match="refusing to connect"):
        asyncio.run(make_executor(known_hosts=str(empty)).setup())


def test_unreachable_host_says_so(make_executor: Any) -> None:
    from covalent.testing import free_port

    with pytest.raises(ConnectionError, match=r"cannot open an SSH connection to .*127\.0\.0\.1:\d+"):
        asyncio.run(make_executor(port=free_port(), connect_timeout=5).setup())


def test_environment_check_names_a_python_without_covalent(make_executor: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    executor = make_executor(python_path=str(tmp_path / "bare" / "bin" / "python"))
    with pytest.raises(RuntimeError, match=r"cannot run covalent payloads: ModuleNotFoundError.*Install bondflow"):
        asyncio.run(executor.setup())


def test_setup_needs_a_host_name() -> None:
    from covalent_ssh import SSHExecutor

    with pytest.raises(ValueError, match="needs hostname="):
        asyncio.run(SSHExecutor().setup())
