"""The run policy: at most max_concurrent runs; a busy event queues (up to a limit) or is skipped."""

from __future__ import annotations

from covalent.server.triggers.gate import QUEUE_LIMIT, RunGate


def test_no_limit_always_runs():
    gate = RunGate({"max_concurrent": None})
    assert [gate.admit() for _ in range(3)] == ["run"] * 3


def test_skip_drops_events_while_the_limit_is_reached():
    gate = RunGate({"max_concurrent": 1, "when_busy": "skip"})
    assert gate.admit() == "run"
    gate.started("a")
    assert gate.admit() == "skipped"
    assert gate.ended("a") is False
    assert gate.admit() == "run"


def test_queue_runs_waiting_events_one_by_one_as_runs_end():
    gate = RunGate({"max_concurrent": 2, "when_busy": "queue"})
    gate.started("a")
    gate.started("b")
    assert [gate.admit(), gate.admit()] == ["queued", "queued"]
    assert gate.ended("a") is True and gate.queued == 1
    gate.started("c")
    assert gate.ended("b") is True and gate.queued == 0
    assert gate.ended("c") is False


def test_the_queue_is_bounded_and_survives_as_a_count():
    gate = RunGate({"max_concurrent": 1, "when_busy": "queue"}, running=["a"], queued=QUEUE_LIMIT)
    assert gate.admit() == "skipped"
    assert gate.ended("a") is True and gate.queued == QUEUE_LIMIT - 1
