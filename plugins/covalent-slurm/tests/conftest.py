"""Fixtures: a real single-node Slurm cluster, an sshd login node, executors' defaults."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covalent_slurm import SlurmExecutor
from covalent_slurm.testing import local_cluster
from covalent_slurm.testing.helpers import sleep_for
from covalent_ssh.testing.sshd import SSHServer, start_sshd

#: The Python Slurm jobs run: this project's venv (the one running the tests).
PYTHON = sys.executable
#: The test that checks Slurm's own time-limit kill; its job starts at the session's start.
OVERTIME_TEST = "test_slurm_kills_job_over_its_time_limit"


@pytest.fixture(scope="session")
def slurm() -> Iterator[local_cluster.LocalSlurm]:
    """The local cluster, started for the session (and stopped if this session started it)."""
    cluster = local_cluster.start()
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    yield cluster
    if previous is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = previous
    if cluster.started:
        local_cluster.stop(cluster.base_dir)


@pytest.fixture(scope="session")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A staging folder the Slurm jobs (same machine) can read and write."""
    return tmp_path_factory.mktemp("slurm-staging")


def _make_executor(staging: Path, **options: Any) -> SlurmExecutor:
    defaults: dict[str, Any] = {
        "python": PYTHON,
        "workdir": str(staging),
        "poll_interval": 0.5,
        "memory": "512M",
    }
    return SlurmExecutor(**{**defaults, **options})


@pytest.fixture(scope="session")
def make_executor(staging: Path) -> Any:
    """Factory: a SlurmExecutor for the local cluster with test-friendly defaults."""
    return lambda **options: _make_executor(staging, **options)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def overtime_job(slurm: local_cluster.LocalSlurm, staging: Path) -> Iterator[Any]:
    """A job over its 1-minute Slurm time limit, running in the background from early on."""
    from covalent.testing import ExecutorHarness, make_job

    harness = ExecutorHarness(_make_executor(staging, time_limit=60))
    job = make_job(sleep_for, 600.0)
    future = harness.submit(job)
    yield harness, job, future
    if not future.done():
        harness.cancel(job)
    harness.close()


@pytest.fixture(scope="session", autouse=True)
def _start_overtime_job_early(request: pytest.FixtureRequest) -> None:
    """Slurm enforces time limits in whole minutes: start that slow job first so it overlaps the rest."""
    if any(item.name == OVERTIME_TEST for item in request.session.items):
        request.getfixturevalue("overtime_job")
