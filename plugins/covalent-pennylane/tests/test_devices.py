"""One electron, several devices: only the executor changes."""

from __future__ import annotations

import math

import pytest

X = 0.5


def entangled_expectation(x: float, device=None, shots=None):  # type: ignore[no-untyped-def]
    """<Z1> after RX(x) on wire 0 and a CNOT: cos(x); its derivative -sin(x)."""
    import pennylane as qml
    from pennylane import numpy as pnp

    @qml.qnode(device, shots=shots)
    def circuit(x):  # type: ignore[no-untyped-def]
        qml.RX(x, wires=0)
        qml.CNOT(wires=[0, 1])
        return qml.expval(qml.PauliZ(1))

    x = pnp.array(x, requires_grad=True)
    return {"value": circuit(x), "gradient": qml.grad(circuit)(x), "device": device.name}


def samples(device=None, shots=None):  # type: ignore[no-untyped-def]
    import pennylane as qml

    @qml.qnode(device, shots=shots)
    def circuit():  # type: ignore[no-untyped-def]
        qml.Hadamard(wires=0)
        return qml.sample(qml.PauliZ(0))

    return circuit()


@pytest.mark.parametrize(
    ("executor", "tolerance"),
    [
        ({"device": "default.qubit"}, 1e-9),
        ({"device": "lightning.qubit"}, 1e-9),
        ({"device": "qiskit.aer", "wires": 2, "shots": 4000, "seed": 5}, 0.06),
    ],
)
def test_same_electron_on_each_device(run_task, executor: dict, tolerance: float) -> None:
    result = run_task(entangled_expectation, X, executor=executor)
    assert result["device"] == executor["device"]
    assert result["value"] == pytest.approx(math.cos(X), abs=tolerance)
    assert result["gradient"] == pytest.approx(-math.sin(X), abs=2 * tolerance)


def test_shots_and_seed_are_applied_and_reproducible(run_task) -> None:
    options = {"device": "default.qubit", "shots": 50, "seed": 42}
    first = run_task(samples, executor=options)
    assert len(first) == 50
    assert set(first.tolist()) == {-1, 1}
    assert first.tolist() == run_task(samples, executor=options).tolist()


def test_qiskit_device_seed_is_reproducible(run_task) -> None:
    options = {"device": "qiskit.aer", "wires": 1, "shots": 64, "seed": 9}
    assert run_task(samples, executor=options).tolist() == run_task(samples, executor=options).tolist()
