"""Electrons that call the injected primitives themselves (variational loops)."""

from __future__ import annotations

import math

import pytest


def minimise_z(steps: int = 25, estimator=None, pass_manager=None):  # type: ignore[no-untyped-def]
    """Gradient descent on <Z> of RY(t)|0>, gradients by the parameter-shift rule."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp

    circuit = QuantumCircuit(1)
    circuit.ry(Parameter("t"), 0)
    observable = SparsePauliOp("Z")
    if pass_manager is not None:
        circuit = pass_manager.run(circuit)
        observable = observable.apply_layout(circuit.layout)
    theta = 0.4
    for _ in range(steps):
        shifted = [[theta + math.pi / 2], [theta - math.pi / 2]]
        plus, minus = estimator.run([(circuit, observable, shifted)]).result()[0].data.evs
        theta -= 0.5 * (plus - minus) / 2
    energy = estimator.run([(circuit, observable, [theta])]).result()[0].data.evs
    return {"theta": float(theta), "energy": float(energy)}


def sample_with(sampler=None, pass_manager=None):  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.x(0)
    circuit.measure_all()
    if pass_manager is not None:
        circuit = pass_manager.run(circuit)
    return sampler.run([circuit], shots=100).result()[0].data.meas.get_counts()


def classical(x: int, y: int) -> dict[str, int]:
    return {"sum": x + y}


def uses_every_keyword(**kwargs):  # type: ignore[no-untyped-def]
    return sorted(kwargs)


@pytest.mark.parametrize("backend", ["statevector", "aer"])
def test_variational_loop_with_injected_estimator_converges(run_task, backend: str) -> None:
    result = run_task(minimise_z, executor={"backend": backend, "seed": 4})
    assert result["energy"] == pytest.approx(-1.0, abs=1e-3)
    assert result["theta"] == pytest.approx(math.pi, abs=0.05)


def test_injected_sampler(run_task) -> None:
    assert run_task(sample_with, executor={"backend": "aer", "seed": 1}) == {"1": 100}


def test_plain_values_pass_through_unchanged(run_task) -> None:
    assert run_task(classical, 2, 3) == {"sum": 5}


def test_var_keyword_task_receives_the_injected_names(run_task) -> None:
    assert run_task(uses_every_keyword) == ["estimator", "pass_manager", "sampler"]
