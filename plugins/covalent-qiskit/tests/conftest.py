"""Shared fixtures: executors on the real simulators, kept warm for the whole session."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from covalent.testing import ExecutorHarness, make_job, node_value
from covalent_qiskit import QiskitExecutor


@pytest.fixture(scope="session", autouse=True)
def warm_workers() -> Iterator[None]:
    """Hold the one-worker pool for the whole session, so tests share warm workers."""
    QiskitExecutor.pools.acquire(1)
    yield
    QiskitExecutor.pools.release(1)


@pytest.fixture(scope="session")
def harness_for() -> Iterator[Callable[..., ExecutorHarness]]:
    """``harness_for(**options)``: a set-up QiskitExecutor with those options (cached)."""
    harnesses: dict[str, ExecutorHarness] = {}

    def get(**options: Any) -> ExecutorHarness:
        key = json.dumps(options, sort_keys=True, default=repr)
        if key not in harnesses:
            harnesses[key] = ExecutorHarness(QiskitExecutor(**options))
        return harnesses[key]

    yield get
    for harness in harnesses.values():
        harness.close()


@pytest.fixture(scope="session")
def run_task(harness_for: Callable[..., ExecutorHarness]) -> Callable[..., Any]:
    """``run_task(func, *args, executor={...})``: the value the electron's job produced."""

    def run(func: Callable[..., Any], *args: Any, executor: dict[str, Any] | None = None) -> Any:
        outcome = harness_for(**(executor or {})).run(make_job(func, *args), timeout=120)
        assert len(outcome.nodes) == 1
        return node_value(outcome.nodes[0])

    return run
