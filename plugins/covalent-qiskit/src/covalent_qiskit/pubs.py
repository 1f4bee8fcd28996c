"""Recognise what an electron returned: circuits and primitive unified blocs (PUBs).

An electron may return

* a ``QuantumCircuit`` (sampled; measured on every qubit first if it has no
  classical bits),
* a sampler PUB ``(circuit, parameter_values[, shots])`` or a ``SamplerPub``,
* an estimator PUB ``(circuit, observables[, parameter_values[, precision]])``
  or an ``EstimatorPub``,
* a list (or tuple) of any of these.

Anything else is not a quantum request and is returned unchanged.  Whether a
tuple is a sampler or an estimator PUB is read from its second element:
observables (Pauli strings, ``Pauli``, ``SparsePauliOp``, ``SparseObservable``,
``{"ZZ": 1.0}``) make an estimator PUB, numbers or parameter bindings a
sampler PUB.  The executor's ``primitive`` option can force one kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.quantum_info import Pauli, SparseObservable, SparsePauliOp

__all__ = ["Request", "parse_requests"]

SAMPLER = "sampler"
ESTIMATOR = "estimator"
_PAULI_LABEL = re.compile(r"^[IXYZ]+$")
_OBSERVABLE_TYPES = (str, Pauli, SparsePauliOp, SparseObservable)


@dataclass
class Request:
    """One PUB to run and the primitive that runs it."""

    kind: str  # "sampler" or "estimator"
    pub: Any  # a PUB-like value the primitive coerces


def _is_pub_tuple(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and 1 <= len(value) <= 4
        and isinstance(value[0], QuantumCircuit)
        and not all(isinstance(item, QuantumCircuit) for item in value)
    )


def _looks_like_observables(value: Any, circuit: QuantumCircuit) -> bool:
    if isinstance(value, _OBSERVABLE_TYPES):
        return True
    if isinstance(value, Mapping):
        names = {p.name for p in circuit.parameters}
        return bool(value) and all(isinstance(k, str) and _PAULI_LABEL.match(k) and k not in names for k in value)
    if isinstance(value, (list, tuple, np.ndarray)):
        flat = list(_leaves(value))
        return bool(flat) and all(isinstance(item, (*_OBSERVABLE_TYPES, Mapping)) for item in flat)
    return False


def _leaves(value: Any) -> Any:
    """The items of nested lists / tuples / object arrays (observables are not unpacked)."""
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype == object):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _is_parameter_binding(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, Mapping):
        return all(isinstance(k, (Parameter, str, tuple)) for k in value)
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def _with_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    if circuit.num_clbits:
        return circuit
    measured = circuit.copy()
    measured.measure_all()
    return measured


def _one(value: Any, primitive: str) -> Request | None:
    if isinstance(value, SamplerPub):
        return Request(SAMPLER, value)
    if isinstance(value, EstimatorPub):
        return Request(ESTIMATOR, value)
    if isinstance(value, QuantumCircuit):
        if primitive == ESTIMATOR:
            raise ValueError("the estimator needs observables: return (circuit, observables)")
        return Request(SAMPLER, (_with_measurements(value),))
    if not _is_pub_tuple(value):
        return None
    circuit = value[0]
    if len(value) == 1:
        kind = SAMPLER
    elif primitive != "auto":
        kind = primitive
    elif _looks_like_observables(value[1], circuit):
        kind = ESTIMATOR
    elif _is_parameter_binding(value[1]):
        kind = SAMPLER
    else:
        return None
    if kind == SAMPLER:
        return Request(SAMPLER, (_with_measurements(circuit), *value[1:]))
    return Request(ESTIMATOR, value)


def parse_requests(value: Any, primitive: str = "auto") -> tuple[list[Request], bool] | None:
    """The PUBs in ``value`` and whether it was a single one; None if it holds none.

    A list counts only when every item is a circuit or a PUB.
    """
    single = _one(value, primitive)
    if single is not None:
        return [single], True
    if isinstance(value, (list, tuple)) and value:
        requests = [_one(item, primitive) for item in value]
        if all(r is not None for r in requests):
            return [r for r in requests if r is not None], False
    return None
