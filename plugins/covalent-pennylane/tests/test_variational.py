"""Gradients inside electrons: a one-qubit variational optimisation converges."""

from __future__ import annotations

import math

import pytest

import covalent_pennylane as cpl


@cpl.qnode
def rotation_energy(theta):  # type: ignore[no-untyped-def]
    import pennylane as qml

    qml.RX(theta, wires=0)
    return qml.expval(qml.PauliZ(0))


def optimise_task_qnode(steps: int = 40):  # type: ignore[no-untyped-def]
    """Minimise <Z> after RX(theta): the optimum is theta = pi, energy -1."""
    import pennylane as qml
    from pennylane import numpy as pnp

    theta = pnp.array(0.3, requires_grad=True)
    optimiser = qml.GradientDescentOptimizer(stepsize=0.4)
    for _ in range(steps):
        theta = optimiser.step(rotation_energy, theta)
    return {
        "theta": theta,
        "energy": rotation_energy(theta),
        "device": rotation_energy.bound.device.name,
    }


def optimise_with_injected_device(steps: int = 40, device=None, shots=None):  # type: ignore[no-untyped-def]
    import pennylane as qml
    from pennylane import numpy as pnp

    @qml.qnode(device, shots=shots)
    def energy(params):  # type: ignore[no-untyped-def]
        qml.RY(params[0], wires=0)
        qml.RX(params[1], wires=0)
        return qml.expval(qml.PauliZ(0))

    params = pnp.array([0.2, 0.1], requires_grad=True)
    optimiser = qml.AdamOptimizer(stepsize=0.2)
    for _ in range(steps):
        params = optimiser.step(energy, params)
    return {"energy": energy(params), "gradient": qml.grad(energy)(params), "device": device.name}


@pytest.mark.parametrize("device", ["default.qubit", "lightning.qubit"])
def test_task_qnode_optimisation_converges(run_task, device: str) -> None:
    result = run_task(optimise_task_qnode, executor={"device": device})
    assert result["device"] == device
    assert result["energy"] == pytest.approx(-1.0, abs=1e-4)
    assert result["theta"] == pytest.approx(math.pi, abs=0.02)
    assert isinstance(result["theta"], float)


def test_injected_device_optimisation_converges(run_task) -> None:
    result = run_task(optimise_with_injected_device, 60, executor={"device": "lightning.qubit"})
    assert result["device"] == "lightning.qubit"
    assert result["energy"] == pytest.approx(-1.0, abs=0.01)
    assert type(result["gradient"]).__module__ == "numpy"  # a plain array, not a PennyLane tensor


def test_optimisation_with_shots_converges_roughly(run_task) -> None:
    result = run_task(optimise_task_qnode, 25, executor={"shots": 2000, "seed": 11})
    assert result["energy"] < -0.95
