"""Quantum and classical jobs together, driven from one asyncio loop as the server drives them.

Executors are looked up by name ("qiskit", "pennylane", "local") through the
plugin registry, like electrons that say ``executor="qiskit"``.  Needs
bondflow-qiskit installed beside bondflow-pennylane (both are workspace
members).  The full lattice through the server comes with the server tests.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from covalent.executor.jobs import run_job
from covalent.executor.registry import executor_classes
from covalent.testing import make_job, node_value


def classical_start(n: int) -> float:
    return 0.1 * n


def pennylane_optimise(start: float, steps: int = 40) -> float:
    """Find theta minimising <Z> after RX(theta) (theta -> pi)."""
    import pennylane as qml
    from pennylane import numpy as pnp

    import covalent_pennylane as cpl

    @cpl.qnode
    def energy(theta):  # type: ignore[no-untyped-def]
        qml.RX(theta, wires=0)
        return qml.expval(qml.PauliZ(0))

    theta = pnp.array(start, requires_grad=True)
    optimiser = qml.GradientDescentOptimizer(stepsize=0.4)
    for _ in range(steps):
        theta = optimiser.step(energy, theta)
    return theta


def pennylane_expectation(theta: float, device=None):  # type: ignore[no-untyped-def]
    import pennylane as qml

    @qml.qnode(device)
    def circuit(theta):  # type: ignore[no-untyped-def]
        qml.RX(theta, wires=0)
        return qml.expval(qml.PauliZ(0))

    return circuit(theta)


def qiskit_check(theta: float):  # type: ignore[no-untyped-def]
    """The same rotation on Qiskit: sample it and estimate <Z>."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.rx(theta, 0)
    measured = circuit.copy()
    measured.measure_all()
    return [measured, (circuit, "Z")]


def qiskit_bell():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


def executor(name: str, **options):  # type: ignore[no-untyped-def]
    return executor_classes()[name](**options)


@pytest.fixture(scope="module")
def classes() -> dict:
    found = executor_classes()
    assert {"qiskit", "pennylane", "local"} <= set(found)
    return found


def test_qiskit_and_pennylane_job_sets_from_one_event_loop(classes: dict) -> None:
    async def main() -> dict:
        qiskit = executor("qiskit", backend="aer", shots=1000, seed=3)
        pennylane = executor("pennylane", device="lightning.qubit")
        local = executor("local", workers=1)
        executors = (qiskit, pennylane, local)
        await asyncio.gather(*(e.setup() for e in executors))
        try:
            # Stage 1, all at once: a classical job, a job set per quantum executor.
            start, *first = await asyncio.gather(
                run_job(local, make_job(classical_start, 3)),
                run_job(qiskit, make_job(qiskit_bell)),
                run_job(qiskit, make_job(qiskit_bell)),
                run_job(pennylane, make_job(pennylane_expectation, 0.0)),
                run_job(pennylane, make_job(pennylane_expectation, math.pi / 2)),
            )
            start_value = node_value(start.nodes[0])
            # Stage 2: optimise on PennyLane from the classical result...
            optimised = await run_job(pennylane, make_job(pennylane_optimise, start_value))
            theta = node_value(optimised.nodes[0])
            # ...and check the optimum on Qiskit.
            check = await run_job(qiskit, make_job(qiskit_check, theta))
            return {
                "start": start_value,
                "first": [node_value(o.nodes[0]) for o in first],
                "theta": theta,
                "check": node_value(check.nodes[0]),
            }
        finally:
            await asyncio.gather(*(e.teardown() for e in executors))

    result = asyncio.run(main())
    assert result["start"] == pytest.approx(0.3)
    bell_a, bell_b, z_zero, z_half = result["first"]
    for bell in (bell_a, bell_b):
        assert set(bell["counts"]) == {"00", "11"}
    assert z_zero == pytest.approx(1.0)
    assert z_half == pytest.approx(0.0, abs=1e-9)
    assert result["theta"] == pytest.approx(math.pi, abs=0.02)
    sampled, estimated = result["check"]
    assert sampled["counts"].get("1", 0) > 990
    assert estimated["evs"] == pytest.approx(-1.0, abs=1e-3)
