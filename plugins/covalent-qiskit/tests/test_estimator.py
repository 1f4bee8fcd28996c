"""Estimator (V2) on the real simulators: expectation values against exact ones."""

from __future__ import annotations

import math

import pytest

THETA = 0.7


def rotated(theta: float = THETA):  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    return circuit


def z_expectation():  # type: ignore[no-untyped-def]
    return (rotated(), "Z")


def several_observables():  # type: ignore[no-untyped-def]
    from qiskit.quantum_info import SparsePauliOp

    circuit = rotated()
    hamiltonian = SparsePauliOp.from_list([("X", 0.5), ("Z", 2.0)])
    return [(circuit, ["X", "Z"]), (circuit, hamiltonian), (circuit, {"Z": -1.0})]


def parameter_sweep():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    circuit = QuantumCircuit(1)
    circuit.ry(Parameter("t"), 0)
    return (circuit, "Z", [[0.0], [THETA], [math.pi]])


def bell_and_correlation():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    measured = bell.copy()
    measured.measure_all()
    return [measured, (bell, "ZZ"), (bell, "XX")]


@pytest.mark.parametrize("backend", ["statevector", "aer"])
def test_expectation_value_matches_exact(run_task, backend: str) -> None:
    result = run_task(z_expectation, executor={"backend": backend, "seed": 1})
    assert result["primitive"] == "estimator"
    assert result["evs"] == pytest.approx(math.cos(THETA), abs=1e-9)
    assert result["stds"] == pytest.approx(0.0)
    assert result["metadata"]["primitive"] == "estimator"


def test_observable_forms(run_task) -> None:
    listed, hamiltonian, mapping = run_task(several_observables, executor={"backend": "aer"})
    assert listed["evs"] == pytest.approx([math.sin(THETA), math.cos(THETA)], abs=1e-9)
    assert listed["shape"] == [2]
    assert hamiltonian["evs"] == pytest.approx(0.5 * math.sin(THETA) + 2 * math.cos(THETA))
    assert mapping["evs"] == pytest.approx(-math.cos(THETA))


def test_finite_precision_is_within_tolerance(run_task) -> None:
    result = run_task(z_expectation, executor={"backend": "aer", "precision": 0.01, "seed": 8})
    assert result["stds"] == pytest.approx(0.01)
    assert result["evs"] == pytest.approx(math.cos(THETA), abs=0.05)


def test_parameter_sweep(run_task) -> None:
    result = run_task(parameter_sweep, executor={"backend": "statevector"})
    assert result["shape"] == [3]
    assert result["evs"] == pytest.approx([1.0, math.cos(THETA), -1.0], abs=1e-9)


def test_sampler_and_estimator_pubs_in_one_return(run_task) -> None:
    sampled, zz, xx = run_task(bell_and_correlation, executor={"backend": "aer", "seed": 2})
    assert sampled["primitive"] == "sampler"
    assert set(sampled["counts"]) == {"00", "11"}
    assert zz["evs"] == pytest.approx(1.0)
    assert xx["evs"] == pytest.approx(1.0)
