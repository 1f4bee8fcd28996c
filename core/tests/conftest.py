"""Shared fixtures: a real server process with temporary data, on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from covalent.testing import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("server"), default_executor="local")
    proc.start()
    proc.activate()
    try:
        yield proc
    finally:
        proc.deactivate()
        proc.stop()


@pytest.fixture
def fresh_server(tmp_path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "server", default_executor="local")
    proc.start()
    proc.activate()
    try:
        yield proc
    finally:
        proc.deactivate()
        proc.stop()
