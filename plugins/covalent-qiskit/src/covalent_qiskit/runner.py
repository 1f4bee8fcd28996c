"""Transpile PUBs for the backend and run them with the V2 primitives."""

from __future__ import annotations

from typing import Any

from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub

from covalent_qiskit.backends import Primitives
from covalent_qiskit.config import QiskitConfig
from covalent_qiskit.pubs import ESTIMATOR, SAMPLER, Request
from covalent_qiskit.results import estimator_result, sampler_result

__all__ = ["run_requests"]


def _transpile_sampler(pubs: list[SamplerPub], primitives: Primitives) -> list[SamplerPub]:
    if primitives.pass_manager is None:
        return pubs
    circuits = primitives.pass_manager.run([pub.circuit for pub in pubs])
    return [SamplerPub(circuit, pub.parameter_values, pub.shots) for circuit, pub in zip(circuits, pubs, strict=True)]


def _transpile_estimator(pubs: list[EstimatorPub], primitives: Primitives) -> list[EstimatorPub]:
    if primitives.pass_manager is None:
        return pubs
    circuits = primitives.pass_manager.run([pub.circuit for pub in pubs])
    transpiled = []
    for circuit, pub in zip(circuits, pubs, strict=True):
        observables = pub.observables
        if circuit.layout is not None:
            observables = observables.apply_layout(circuit.layout, circuit.num_qubits)
        transpiled.append(EstimatorPub(circuit, observables, pub.parameter_values, pub.precision))
    return transpiled


def _extra(config: QiskitConfig, primitives: Primitives, kind: str) -> dict[str, Any]:
    return {
        "backend": primitives.backend_name,
        "seed": config.seed,
        "optimization_level": config.optimization_level,
        "primitive": kind,
    }


def run_requests(requests: list[Request], primitives: Primitives, config: QiskitConfig) -> list[dict[str, Any]]:
    """Run every request (one sampler call, one estimator call) and keep their order."""
    results: list[dict[str, Any] | None] = [None] * len(requests)
    sampler_at = [i for i, r in enumerate(requests) if r.kind == SAMPLER]
    estimator_at = [i for i, r in enumerate(requests) if r.kind == ESTIMATOR]
    if sampler_at:
        pubs = _transpile_sampler([SamplerPub.coerce(requests[i].pub) for i in sampler_at], primitives)
        outcome = primitives.sampler.run(pubs).result()
        extra = _extra(config, primitives, SAMPLER)
        for i, pub_result in zip(sampler_at, outcome, strict=True):
            results[i] = sampler_result(pub_result, extra)
    if estimator_at:
        pubs = _transpile_estimator([EstimatorPub.coerce(requests[i].pub) for i in estimator_at], primitives)
        outcome = primitives.estimator.run(pubs).result()
        extra = _extra(config, primitives, ESTIMATOR)
        for i, pub_result in zip(estimator_at, outcome, strict=True):
            results[i] = estimator_result(pub_result, extra)
    return [r for r in results if r is not None]
