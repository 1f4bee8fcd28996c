"""Fixtures of the cross-package tests: the wheels of every package, built once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The wheel tests share their environment helpers through wheel_envs.
sys.path.insert(0, os.path.dirname(__file__))

from wheel_envs import build_all


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every package's sdist and wheel, built from this checkout with ``uv build``."""
    return build_all(tmp_path_factory.mktemp("dist"))
