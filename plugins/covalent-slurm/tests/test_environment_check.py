"""The job's Python must match the server's: checked in setup() and, per job, by the runtime."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from covalent.executor.jobs import JobFailedError
from covalent.runtime.spec import runtime_versions
from covalent.testing import ExecutorHarness, make_job
from covalent_slurm.testing.helpers import sleep_for
from covalent_slurm.testing.local_cluster import LocalSlurm
from covalent_ssh.envcheck import EnvironmentMismatch, check_environment
from covalent_ssh.transport import LocalTransport


def test_setup_rejects_a_python_without_covalent(slurm: LocalSlurm, make_executor: Any, tmp_path: Path) -> None:
    """A real bare environment (a fresh venv) as the cluster's Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    executor = make_executor(python=str(tmp_path / "bare" / "bin" / "python"))
    with pytest.raises(RuntimeError, match="cannot run covalent payloads: ModuleNotFoundError"):
        asyncio.run(executor.setup())


def test_setup_rejects_a_missing_python(slurm: LocalSlurm, make_executor: Any) -> None:
    with pytest.raises(RuntimeError, match="cannot run the job's Python '/no/such/python'"):
        asyncio.run(make_executor(python="/no/such/python").setup())


def test_version_mismatch_is_reported(slurm: LocalSlurm) -> None:
    """The cluster's real Python, compared with what a server on another Python would send."""
    other = {**runtime_versions(), "python": "3.10"}
    with pytest.raises(EnvironmentMismatch, match=r"python 3\.10 on the server but 3\.11 on the cluster"):
        asyncio.run(check_environment(LocalTransport(), sys.executable, [], expected=other))
    info = asyncio.run(check_environment(LocalTransport(), sys.executable, []))
    assert info["python"] == runtime_versions()["python"]


def test_payload_from_another_python_fails_with_the_runtime_message(slurm: LocalSlurm, make_executor: Any) -> None:
    """The runtime's own version check inside the job; its message must reach the user."""
    job = make_job(sleep_for, 0.0)
    spec = pickle.loads(job.payload)
    spec.versions = {**spec.versions, "cloudpickle": "0.0.1"}
    job.payload = spec.to_bytes()
    harness = ExecutorHarness(make_executor())
    try:
        with pytest.raises(JobFailedError) as failure:
            harness.run(job)
    finally:
        harness.close()
    message = str(failure.value)
    assert "RuntimeError: this worker's environment does not match the server's" in message
    assert "cloudpickle 0.0.1 on the server" in message
