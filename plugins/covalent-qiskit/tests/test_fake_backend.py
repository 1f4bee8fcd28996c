"""The IBM path, locally: qiskit-ibm-runtime primitives on a fake IBM device through Aer."""

from __future__ import annotations

import pytest


def bell_sample_and_correlation():  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    measured = bell.copy()
    measured.measure_all()
    return [measured, (bell, "ZZ")]


def transpiled_for_device(pass_manager=None, sampler=None):  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.x(0)
    circuit.measure_all()
    isa = pass_manager.run(circuit)
    counts = sampler.run([isa]).result()[0].data.meas.get_counts()
    return {"ops": sorted(isa.count_ops()), "counts": counts, "qubits": isa.num_qubits}


FAKE = {"backend": "fake_manila", "shots": 2000, "seed": 21}


def test_fake_manila_runs_bell_with_device_noise(run_task) -> None:
    sampled, correlation = run_task(bell_sample_and_correlation, executor=FAKE)
    counts = sampled["counts"]
    assert sampled["metadata"]["backend"] == "fake_manila"
    assert (counts.get("00", 0) + counts.get("11", 0)) / 2000 > 0.85
    assert correlation["evs"] == pytest.approx(1.0, abs=0.2)
    assert correlation["stds"] > 0


def test_fake_backend_pass_manager_targets_the_device(run_task) -> None:
    result = run_task(transpiled_for_device, executor=FAKE)
    assert result["qubits"] == 5  # laid out on the 5-qubit device
    assert set(result["ops"]) <= {"x", "measure", "barrier", "rz", "sx", "cx"}
    assert result["counts"].get("1", 0) > 1800


def test_fake_backend_seed_is_reproducible(run_task) -> None:
    first = run_task(bell_sample_and_correlation, executor=FAKE)[0]["counts"]
    second = run_task(bell_sample_and_correlation, executor=FAKE)[0]["counts"]
    assert first == second
