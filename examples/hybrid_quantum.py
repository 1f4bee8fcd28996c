"""The README's hybrid quantum-classical workflow: Qiskit, PennyLane and Dask electrons in one lattice."""

import covalent as ct
from covalent_pennylane import PennyLaneExecutor, qnode
from covalent_qiskit import QiskitExecutor


@ct.electron(executor=QiskitExecutor(backend="aer", shots=4000, seed=7))
def bell():
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit  # comes back as counts and probabilities


@ct.electron(executor=PennyLaneExecutor(device="default.qubit"))
def minimise(steps):
    import pennylane as qml
    from pennylane import numpy as np

    @qnode  # bound to the executor's device
    def cost(theta):
        qml.RX(theta, wires=0)
        return qml.expval(qml.PauliZ(0))

    theta, opt = np.array(0.1, requires_grad=True), qml.GradientDescentOptimizer(0.4)
    for _ in range(steps):
        theta = opt.step(cost, theta)
    return float(cost(theta))


@ct.electron
def report(sampled, energy):
    shares = sampled["probabilities"]
    return {"bell_00_11": shares.get("00", 0) + shares.get("11", 0), "min_energy": energy}


@ct.lattice
def hybrid(steps):
    return report(bell(), minimise(steps))


if __name__ == "__main__":
    result = ct.dispatch_sync(hybrid)(60)
    print(result.status, result.result)
