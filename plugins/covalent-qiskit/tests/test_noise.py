"""Aer with a noise model: as an object or its dict (an object travels as its dict: options are JSON)."""

from __future__ import annotations

import pytest

from covalent.testing import ExecutorHarness, make_job, node_value
from covalent_qiskit import QiskitExecutor


def bell():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


def noisy_model(rate: float = 0.2):  # type: ignore[no-untyped-def]
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(rate, 2), ["cx"])
    return model


def wrong_share(noise) -> float:  # type: ignore[no-untyped-def]
    executor = QiskitExecutor(backend="aer", noise_model=noise, shots=2000, seed=6)
    rebuilt = QiskitExecutor.from_dict(executor.to_dict())  # as the server rebuilds it
    harness = ExecutorHarness(rebuilt)
    try:
        counts = node_value(harness.run(make_job(bell), timeout=120).nodes[0])["counts"]
    finally:
        harness.close()
    return (counts.get("01", 0) + counts.get("10", 0)) / 2000


@pytest.mark.parametrize("as_dict", [False, True])
def test_noise_model_adds_errors(as_dict: bool) -> None:
    model = noisy_model()
    assert 0.03 < wrong_share(model.to_dict(serializable=True) if as_dict else model) < 0.3


def test_each_noise_model_gets_its_own_simulator() -> None:
    """Models that differ only in their error rates must not share a cached simulator."""
    assert wrong_share(noisy_model(0.6)) > 2 * wrong_share(noisy_model(0.05))
