"""A full lattice through a real server: "dask", "pennylane" and "qiskit" electrons together.

The classical steps run on Dask, the optimisation on PennyLane (lightning),
the check on Qiskit (Aer); the executors run inside the server's event loop.
Needs bondflow-dask and bondflow-qiskit installed beside bondflow-pennylane
(all workspace members).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

import covalent as ct
import covalent_pennylane as cpl
from covalent.testing import ServerProcess
from covalent_dask import DaskExecutor
from covalent_pennylane import PennyLaneExecutor
from covalent_qiskit import QiskitExecutor

DASK = DaskExecutor(n_workers=1, threads_per_worker=1, dashboard_address=None)


@cpl.qnode
def energy(theta):  # type: ignore[no-untyped-def]
    import pennylane as qml

    qml.RX(theta, wires=0)
    return qml.expval(qml.PauliZ(0))


@ct.electron(executor=DASK)
def initial_angle(n: int) -> float:
    return 0.1 * n


@ct.electron(executor=PennyLaneExecutor(device="lightning.qubit"))
def optimise(theta: float, steps: int = 40) -> float:
    import pennylane as qml
    from pennylane import numpy as pnp

    theta = pnp.array(theta, requires_grad=True)
    optimiser = qml.GradientDescentOptimizer(stepsize=0.4)
    for _ in range(steps):
        theta = optimiser.step(energy, theta)
    return theta


@ct.electron(executor=QiskitExecutor(backend="aer", seed=1))
def check_on_qiskit(theta: float):  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.rx(theta, 0)
    return (circuit, "Z")


@ct.electron(executor="qiskit")
def bell():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


@ct.electron(executor=DASK)
def summarise(theta: float, check: dict, sampled: dict) -> dict:
    return {"theta": theta, "energy": check["evs"], "outcomes": sorted(sampled["counts"])}


@ct.lattice
def hybrid(n: int):  # type: ignore[no-untyped-def]
    theta = optimise(initial_angle(n))
    return summarise(theta, check_on_qiskit(theta), bell())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("server"), default_executor="local") as proc:
        yield proc


def test_hybrid_lattice_through_the_server(server: ServerProcess) -> None:
    result = ct.dispatch_sync(hybrid)(3)
    assert result.status == "COMPLETED", f"{result.error}\n{server.log()}"
    assert result.result["theta"] == pytest.approx(math.pi, abs=0.02)
    assert result.result["energy"] == pytest.approx(-1.0, abs=1e-3)
    assert result.result["outcomes"] == ["00", "11"]
