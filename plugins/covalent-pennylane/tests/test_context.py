"""The task-side helpers, in this process: device(), shots(), qnode() and outputs."""

from __future__ import annotations

import pickle

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

import covalent_pennylane as cpl
from covalent_pennylane.config import DeviceConfig
from covalent_pennylane.context import activate
from covalent_pennylane.values import plain_output


@cpl.qnode
def flip(theta):  # type: ignore[no-untyped-def]
    qml.RY(theta, wires=0)
    return qml.expval(qml.PauliZ(0))


def test_outside_an_executor_default_qubit_is_exact() -> None:
    assert cpl.current_config() == DeviceConfig()
    assert cpl.shots() is None
    assert flip(0.0) == pytest.approx(1.0)
    assert flip.bound.device.name == "default.qubit"
    assert qml.grad(flip)(pnp.array(0.3, requires_grad=True)) == pytest.approx(-np.sin(0.3))


def test_activate_switches_device_and_shots() -> None:
    config = DeviceConfig(device="lightning.qubit", shots=100, seed=1)
    with activate(config):
        assert cpl.device(wires=3).name == "lightning.qubit"
        assert len(cpl.device(wires=3).wires) == 3
        assert cpl.shots() == 100
        node = flip.bound
        assert node.device.name == "lightning.qubit"
        assert flip.bound is node  # reused while the same job runs
        assert flip(np.pi) == pytest.approx(-1.0)
    assert flip.bound.device.name == "default.qubit"


def test_task_qnode_pickles_without_its_device() -> None:
    flip(0.1)
    copy = pickle.loads(pickle.dumps(flip))
    assert copy._bound is None
    assert copy(0.0) == pytest.approx(1.0)


def test_qnode_decorator_with_arguments() -> None:
    @cpl.qnode(wires=2, diff_method="parameter-shift")
    def bell_parity():  # type: ignore[no-untyped-def]
        qml.Hadamard(wires=0)
        qml.CNOT(wires=[0, 1])
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1))

    assert bell_parity() == pytest.approx(1.0)
    assert bell_parity.bound.diff_method == "parameter-shift"


def test_plain_output() -> None:
    value = plain_output({"t": pnp.array(0.5, requires_grad=True), "v": [pnp.array([1.0, 2.0]), np.float64(3.0)]})
    assert value["t"] == 0.5 and type(value["t"]) is float
    assert type(value["v"][0]) is np.ndarray
    assert type(value["v"][1]) is float


@pytest.mark.parametrize("options", [{"device": ""}, {"shots": 0}])
def test_bad_options(options: dict) -> None:
    with pytest.raises(ValueError):
        cpl.PennyLaneExecutor(**options)


def test_round_trip_through_to_dict() -> None:
    executor = cpl.PennyLaneExecutor(device="qiskit.aer", wires=2, shots=10, seed=3)
    data = executor.to_dict()
    assert data["name"] == "pennylane"
    assert cpl.PennyLaneExecutor.from_dict(data).config == executor.config
    assert executor.config.seed_keyword() == "seed_simulator"
