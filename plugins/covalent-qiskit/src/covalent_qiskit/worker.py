"""The worker side of the Qiskit executor: run one job payload with primitives at hand.

Two ways for an electron to use the quantum backend:

* return circuits or PUBs; :func:`postprocess` runs them and the electron's
  output is the plain result (:mod:`covalent_qiskit.results`);
* declare keyword parameters ``sampler``, ``estimator`` (V2 primitives of the
  executor's backend) or ``pass_manager`` (the preset pass manager for that
  backend, or None); the executor passes them in, and the electron calls the
  primitives itself (variational loops).
"""

from __future__ import annotations

from typing import Any

from covalent.runtime.execute import execute_payload
from covalent.runtime.spec import NodeSpec
from covalent_qiskit.backends import Primitives, build_primitives
from covalent_qiskit.config import QiskitConfig
from covalent_qiskit.pubs import parse_requests
from covalent_qiskit.runner import run_requests

__all__ = ["INJECTED", "postprocessor", "run_job"]

#: Keyword arguments offered to electrons that declare them.
INJECTED = ("sampler", "estimator", "pass_manager")


def postprocessor(primitives: Primitives, config: QiskitConfig) -> Any:
    """The function that turns an electron's returned circuits/PUBs into results."""

    def postprocess(node: NodeSpec, value: Any) -> Any:
        parsed = parse_requests(value, config.primitive)
        if parsed is None:
            return value
        requests, single = parsed
        results = run_requests(requests, primitives, config)
        return results[0] if single else results

    return postprocess


def run_job(payload: bytes, options: dict[str, Any]) -> bytes:
    """Run a job payload on the backend ``options`` describes; return the outcome bytes."""
    config = QiskitConfig(**options)
    primitives = build_primitives(config)
    inject = {
        "sampler": primitives.sampler,
        "estimator": primitives.estimator,
        "pass_manager": primitives.pass_manager,
    }
    outcome = execute_payload(payload, inject=inject, postprocess=postprocessor(primitives, config))
    return outcome.to_bytes()
