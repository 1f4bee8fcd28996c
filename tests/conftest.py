"""Fixtures of the cross-package tests: the wheels of every package (built once per session), the local Slurm."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The wheel tests share their environment helpers through wheel_envs.
sys.path.insert(0, os.path.dirname(__file__))

from wheel_envs import build_all

from covalent_slurm.testing import local_cluster


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every package's sdist and wheel, built from this checkout with ``uv build``."""
    return build_all(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def slurm() -> Iterator[local_cluster.LocalSlurm]:
    """The real single-node Slurm cluster (stopped after the module if this module started it)."""
    cluster = local_cluster.start()
    yield cluster
    if cluster.started:
        local_cluster.stop(cluster.base_dir)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--covalent-ssh-plugin-checkout",
        default=None,
        metavar="DIR",
        help="a fetched checkout of AgnostiqHQ/covalent-ssh-plugin: also run its own functional tests on our server",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that needs a plugin's fetched checkout runs only when one is named (it is not in the repository)."""
    if config.getoption("--covalent-ssh-plugin-checkout"):
        return
    dropped = [item for item in items if "ssh_plugin_checkout" in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture
def ssh_plugin_checkout(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--covalent-ssh-plugin-checkout")).resolve()
