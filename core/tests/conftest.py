"""Shared fixtures: a real server process with temporary data, on a free port.

With ``COVALENT_TEST_DATABASE=postgres`` every server these fixtures start
uses its own database on a real PostgreSQL server (started for the session)
instead of SQLite: that is how ``.ci/run`` runs the server suite twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from covalent.testing import ServerProcess, free_port

USE_POSTGRES = os.environ.get("COVALENT_TEST_DATABASE") == "postgres"


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    if not USE_POSTGRES:
        yield None
        return
    from covalent.testing.postgres import PostgresServer

    with PostgresServer() as server:
        yield server


def _database_env(postgres: object) -> dict[str, str]:
    if postgres is None:
        return {}
    return {"COVALENT_DATABASE_URL": postgres.create_database()}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, postgres: object) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("server"), default_executor="local", extra_env=_database_env(postgres))
    proc.start()
    proc.activate()
    try:
        yield proc
    finally:
        proc.deactivate()
        proc.stop()


@pytest.fixture
def fresh_server(tmp_path, postgres: object) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "server", default_executor="local", extra_env=_database_env(postgres))
    proc.start()
    proc.activate()
    try:
        yield proc
    finally:
        proc.deactivate()
        proc.stop()


@pytest.fixture
def env(tmp_path):
    """The environment of a user's covalent commands: fresh directories and a free port; stopped after."""
    port = free_port()
    values = {
        **os.environ,
        "COVALENT_DATA_DIR": str(tmp_path / "data"),
        "COVALENT_CONFIG_DIR": str(tmp_path / "config"),
        "COVALENT_CACHE_DIR": str(tmp_path / "cache"),
        "COVALENT_DISPATCHER_ADDR": f"http://127.0.0.1:{port}",
        "PORT": str(port),
    }
    yield values
    subprocess.run([sys.executable, "-m", "covalent.cli", "stop"], env=values, capture_output=True)
