"""Fixtures: a real OpenSSH server on loopback and SSH executors pointed at it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covalent_ssh import SSHExecutor
from covalent_ssh.testing.sshd import SSHServer, start_sshd

#: The Python the remote tasks run: this project's venv (the one running the tests).
PYTHON = sys.executable


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


def ssh_options(sshd: SSHServer, remote: Path) -> dict[str, Any]:
    """Options of an SSHExecutor for the loopback sshd, staging under ``remote``."""
    return {
        "hostname": "127.0.0.1",
        "port": sshd.port,
        "username": sshd.username,
        "ssh_key_file": sshd.key_file,
        "known_hosts": sshd.known_hosts,
        "python_path": PYTHON,
        "remote_cache": str(remote / "cache"),
        "remote_workdir": str(remote / "work"),
        "poll_freq": 0.2,
    }


@pytest.fixture(scope="session")
def remote_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ssh-remote")


@pytest.fixture(scope="session")
def options(sshd: SSHServer, remote_root: Path) -> dict[str, Any]:
    """Options of an SSHExecutor for the loopback sshd (staging under ``remote_root``)."""
    return ssh_options(sshd, remote_root)


@pytest.fixture(scope="session")
def make_executor(sshd: SSHServer, remote_root: Path) -> Any:
    """Factory: an SSHExecutor for the loopback sshd with test-friendly defaults."""
    return lambda **options: SSHExecutor(**{**ssh_options(sshd, remote_root), **options})
