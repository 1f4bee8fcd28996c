"""Shared fixtures: executors on the real simulators, kept warm for the whole session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from covalent.testing import ExecutorHarness, HarnessCache
from covalent_qiskit import QiskitExecutor


@pytest.fixture(scope="session", autouse=True)
def warm_workers() -> Iterator[None]:
    """Hold the one-worker pool for the whole session, so tests share warm workers."""
    QiskitExecutor.pools.acquire(1)
    yield
    QiskitExecutor.pools.release(1)


@pytest.fixture(scope="session")
def harnesses() -> Iterator[HarnessCache]:
    """Set-up QiskitExecutors, one per set of options, for the whole session."""
    cache = HarnessCache(QiskitExecutor)
    yield cache
    cache.close()


@pytest.fixture(scope="session")
def harness_for(harnesses: HarnessCache) -> Callable[..., ExecutorHarness]:
    """``harness_for(**options)``: a set-up QiskitExecutor with those options (cached)."""
    return harnesses.get


@pytest.fixture(scope="session")
def run_task(harnesses: HarnessCache) -> Callable[..., Any]:
    """``run_task(func, *args, executor={...})``: the value the electron's job produced."""
    return harnesses.value
