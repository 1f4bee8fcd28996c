"""Shared fixtures: executors on real PennyLane devices, kept warm for the whole session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from covalent.testing import ExecutorHarness, HarnessCache
from covalent_pennylane import PennyLaneExecutor


@pytest.fixture(scope="session", autouse=True)
def warm_workers() -> Iterator[None]:
    """Hold the one-worker pool for the whole session, so tests share warm workers."""
    PennyLaneExecutor.pools.acquire(1)
    yield
    PennyLaneExecutor.pools.release(1)


@pytest.fixture(scope="session")
def harnesses() -> Iterator[HarnessCache]:
    """Set-up PennyLaneExecutors, one per set of options, for the whole session."""
    cache = HarnessCache(PennyLaneExecutor)
    yield cache
    cache.close()


@pytest.fixture(scope="session")
def harness_for(harnesses: HarnessCache) -> Callable[..., ExecutorHarness]:
    """``harness_for(**options)``: a set-up PennyLaneExecutor with those options (cached)."""
    return harnesses.get


@pytest.fixture(scope="session")
def run_task(harnesses: HarnessCache) -> Callable[..., Any]:
    """``run_task(func, *args, executor={...})``: the value the electron's job produced."""
    return harnesses.value
