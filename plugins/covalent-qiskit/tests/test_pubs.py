"""Recognising circuits and PUBs in what electrons return (real Qiskit objects)."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.quantum_info import Pauli, SparsePauliOp

from covalent_qiskit.pubs import parse_requests


def circuit(parametrised: bool = False) -> QuantumCircuit:
    qc = QuantumCircuit(1)
    qc.ry(Parameter("t") if parametrised else 0.3, 0)
    return qc


def kinds(value: object, primitive: str = "auto") -> tuple[list[str], bool] | None:
    parsed = parse_requests(value, primitive)
    return None if parsed is None else ([r.kind for r in parsed[0]], parsed[1])


def test_single_circuit_is_sampled_with_measurements() -> None:
    requests, single = parse_requests(circuit())
    assert single and requests[0].kind == "sampler"
    assert requests[0].pub[0].num_clbits == 1


@pytest.mark.parametrize(
    "observables",
    ["Z", Pauli("X"), SparsePauliOp("Z"), ["X", "Z"], {"Z": 1.0}, [SparsePauliOp("X")]],
)
def test_observables_make_estimator_pubs(observables: object) -> None:
    assert kinds((circuit(), observables)) == (["estimator"], True)


@pytest.mark.parametrize("values", [[0.1], np.array([[0.1], [0.2]]), {"t": [0.1, 0.2]}, None])
def test_parameter_values_make_sampler_pubs(values: object) -> None:
    assert kinds((circuit(parametrised=True), values)) == (["sampler"], True)


def test_lists_of_circuits_and_pubs() -> None:
    value = [
        circuit(),
        (circuit(), "Z"),
        SamplerPub.coerce(circuit()),
        EstimatorPub.coerce((circuit(), "X")),
    ]
    assert kinds(value) == (["sampler", "estimator", "sampler", "estimator"], False)
    assert kinds((circuit(), circuit())) == (["sampler", "sampler"], False)


@pytest.mark.parametrize("value", [1, "Z", [1, 2], {"counts": 3}, [circuit(), 5], (), None])
def test_other_values_are_not_requests(value: object) -> None:
    assert parse_requests(value) is None


def test_primitive_option_forces_the_kind() -> None:
    assert kinds((circuit(parametrised=True), [0.1]), "estimator") == (["estimator"], True)
    with pytest.raises(ValueError):
        parse_requests(circuit(), "estimator")
