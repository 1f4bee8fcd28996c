"""Sampler (V2) on the real simulators: circuits and sampler PUBs returned by electrons."""

from __future__ import annotations

import pytest


def bell_circuit(measure: bool = True):  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def bell_pair():  # type: ignore[no-untyped-def]
    return bell_circuit()


def unmeasured_bell():  # type: ignore[no-untyped-def]
    return bell_circuit(measure=False)


def rotation_sweep():  # type: ignore[no-untyped-def]
    import math

    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    circuit = QuantumCircuit(1)
    circuit.ry(Parameter("t"), 0)
    circuit.measure_all()
    return (circuit, [[0.0], [math.pi], [math.pi / 2]], 400)


def two_registers():  # type: ignore[no-untyped-def]
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    q = QuantumRegister(2)
    first, second = ClassicalRegister(1, "first"), ClassicalRegister(1, "second")
    circuit = QuantumCircuit(q, first, second)
    circuit.x(0)
    circuit.measure(0, first[0])
    circuit.measure(1, second[0])
    return circuit


@pytest.mark.parametrize("backend", ["statevector", "aer"])
def test_bell_gives_only_00_and_11_in_equal_shares(run_task, backend: str) -> None:
    result = run_task(bell_pair, executor={"backend": backend, "shots": 4000, "seed": 1234})
    assert result["primitive"] == "sampler"
    assert result["shots"] == 4000
    assert set(result["counts"]) == {"00", "11"}
    assert sum(result["counts"].values()) == 4000
    for share in result["probabilities"].values():
        assert 0.45 < share < 0.55
    assert result["metadata"]["seed"] == 1234
    assert result["shape"] == []


def test_fixed_seed_gives_the_same_counts(run_task) -> None:
    options = {"backend": "aer", "shots": 500, "seed": 99}
    assert run_task(bell_pair, executor=options)["counts"] == run_task(bell_pair, executor=options)["counts"]


def test_circuit_without_measurements_is_measured(run_task) -> None:
    result = run_task(unmeasured_bell, executor={"backend": "aer", "seed": 3})
    assert set(result["counts"]) == {"00", "11"}
    assert list(result["registers"]) == ["meas"]


def test_parameter_sweep_gives_counts_per_binding(run_task) -> None:
    result = run_task(rotation_sweep, executor={"backend": "aer", "seed": 5})
    assert result["shape"] == [3]
    assert result["shots"] == 400
    assert result["counts"][0] == {"0": 400}
    assert result["counts"][1] == {"1": 400}
    assert 0.4 < result["probabilities"][2].get("0", 0.0) < 0.6


def test_every_register_is_reported(run_task) -> None:
    result = run_task(two_registers, executor={"backend": "statevector", "seed": 5})
    assert result["registers"]["first"] == {"1": 1024}
    assert result["registers"]["second"] == {"0": 1024}
    assert result["counts"] == {"01": 1024}  # joined: second register is the high bit
