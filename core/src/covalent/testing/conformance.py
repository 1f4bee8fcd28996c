"""The executor conformance suite: what every executor must do.

Subclass :class:`ExecutorConformance` and give it a class-scoped
``executor`` fixture; every ``test_*`` method here then runs against it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from covalent.executor.jobs import JobExecutor
from covalent.status import Status
from covalent.testing.harness import ExecutorHarness, make_job, node_value

__all__ = ["ExecutorConformance"]

PAYLOAD_BYTES = 50 * 1024 * 1024


def _add(x: int, y: int) -> int:
    return x + y


def _fail(message: str) -> None:
    raise ValueError(message)


def _talk(text: str) -> str:
    print(f"out:{text}")
    print(f"err:{text}", file=sys.stderr)
    return text


def _heartbeat(beats: int, marker: str) -> str:
    """Touch ``marker.started``, then count heartbeats into ``marker.beat``."""
    with open(marker + ".started", "w") as f:
        f.write(str(os.getpid()))
    for i in range(beats):
        with open(marker + ".beat", "w") as f:
            f.write(str(i))
        time.sleep(0.1)
    with open(marker + ".finished", "w") as f:
        f.write("done")
    return "finished"


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _echo_size(data: bytes) -> bytes:
    return data[::-1]


class ExecutorConformance:
    """Mixin of conformance tests; provide ``executor`` (class scope)."""

    #: Seconds a cancelled job may take to stop (remote backends are slower).
    cancel_grace: float = 60.0
    #: Seconds to wait for a job to start (queueing backends are slower).
    start_timeout: float = 120.0

    @pytest.fixture(scope="class")
    @classmethod
    def executor(cls) -> JobExecutor:  # pragma: no cover - must be overridden
        raise NotImplementedError("define an `executor` fixture returning your executor")

    @pytest.fixture(scope="class")
    @classmethod
    def harness(cls, executor: JobExecutor) -> Iterator[ExecutorHarness]:
        harness = ExecutorHarness(executor)
        yield harness
        harness.close()

    @pytest.fixture
    def marker(self, tmp_path_factory: Any) -> str:
        # Under a shared directory: remote workers on this machine see it too.
        return str(tmp_path_factory.mktemp("conformance") / "marker")

    def test_runs_task_and_returns_value(self, harness: ExecutorHarness) -> None:
        outcome = harness.run(make_job(_add, 2, 3))
        assert len(outcome.nodes) == 1
        node = outcome.nodes[0]
        assert node.status == Status.COMPLETED
        assert node_value(node) == 5
        assert node.start_time <= node.end_time

    def test_failure_reports_traceback(self, harness: ExecutorHarness) -> None:
        outcome = harness.run(make_job(_fail, "conformance-boom"))
        node = outcome.nodes[0]
        assert node.status == Status.FAILED
        assert "ValueError: conformance-boom" in node.error
        assert "_fail" in node.error  # the task's own frame is in the traceback

    def test_captures_stdout_and_stderr(self, harness: ExecutorHarness) -> None:
        outcome = harness.run(make_job(_talk, "hello"))
        node = outcome.nodes[0]
        assert node_value(node) == "hello"
        assert "out:hello" in node.stdout
        assert "err:hello" in node.stderr

    def test_cancels_running_task(self, harness: ExecutorHarness, marker: str) -> None:
        job = make_job(_heartbeat, 6000, marker)
        future = harness.submit(job)
        deadline = time.monotonic() + self.start_timeout
        while not os.path.exists(marker + ".started"):
            assert time.monotonic() < deadline, "the task never started"
            assert not future.done(), f"job ended before it was cancelled: {future.result()}"
            time.sleep(0.2)
        assert harness.cancel(job) is True
        try:
            future.result(timeout=self.cancel_grace)
        except Exception:
            pass  # a cancelled job may end by raising; it must end, and soon
        assert future.done()
        # The task itself must have stopped, not just been forgotten: no more heartbeats.
        time.sleep(1.0)
        beat = _read(marker + ".beat")
        time.sleep(2.0)
        assert _read(marker + ".beat") == beat, "the cancelled task is still running"
        assert not os.path.exists(marker + ".finished")

    def test_moves_large_payload(self, harness: ExecutorHarness) -> None:
        data = os.urandom(PAYLOAD_BYTES)
        outcome = harness.run(make_job(_echo_size, data), timeout=600)
        assert node_value(outcome.nodes[0]) == data[::-1]
