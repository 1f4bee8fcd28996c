"""Running from an asyncio event loop as the server does; failures and time limits."""

from __future__ import annotations

import asyncio

import pytest

from covalent._sdk.electron import Electron
from covalent.executor.jobs import JobFailedError, run_job
from covalent.testing import make_job, node_value
from covalent_qiskit import QiskitExecutor


def bell():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


def mismatched_observable():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    return (QuantumCircuit(1), "ZZZ")  # three-qubit observable on a one-qubit circuit


def sleeper(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "woke"


def test_jobs_from_the_server_event_loop() -> None:
    """Several jobs at once from one asyncio loop in the main thread, as in the server."""

    async def main() -> list:
        executor = QiskitExecutor(backend="statevector", seed=3, shots=100)
        await executor.setup()
        try:
            jobs = [make_job(bell) for _ in range(3)]
            return await asyncio.gather(*(run_job(executor, job) for job in jobs))
        finally:
            await executor.teardown()

    outcomes = asyncio.run(main())
    for outcome in outcomes:
        assert set(node_value(outcome.nodes[0])["counts"]) <= {"00", "11"}


def test_invalid_pub_fails_the_node_with_qiskit_error(harness_for) -> None:
    outcome = harness_for(backend="aer").run(make_job(mismatched_observable), timeout=120)
    node = outcome.nodes[0]
    assert node.status == "FAILED"
    assert "ValueError: The number of qubits of the circuit (1)" in node.error


def test_time_limit_stops_the_job(harness_for) -> None:
    job = make_job(Electron(sleeper, time_limit=1.0), 60)
    with pytest.raises(JobFailedError, match="time limit"):
        harness_for(backend="aer").run(job, timeout=120)


def test_unknown_fake_backend_fails_the_job(harness_for) -> None:
    with pytest.raises(JobFailedError, match="fake_nowhere"):
        harness_for(backend="fake_nowhere").run(make_job(bell), timeout=120)


def heartbeat(path: str) -> None:
    import time

    for i in range(600):
        with open(path, "w") as f:
            f.write(str(i))
        time.sleep(0.1)


def test_cancelling_the_run_coroutine_stops_the_task(tmp_path) -> None:
    """The dispatcher's way: cancel the task awaiting run_job, then call cancel()."""
    beat = tmp_path / "beat"

    async def main() -> bool:
        executor = QiskitExecutor(backend="statevector")
        await executor.setup()
        try:
            job = make_job(heartbeat, str(beat))
            task = asyncio.ensure_future(run_job(executor, job))
            for _ in range(600):
                if beat.exists():
                    break
                await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await executor.cancel(job, None)
            await asyncio.sleep(1.0)
            first = beat.read_text()
            await asyncio.sleep(1.5)
            return beat.read_text() == first
        finally:
            await executor.teardown()

    assert asyncio.run(main()), "the task kept running after its coroutine was cancelled"
