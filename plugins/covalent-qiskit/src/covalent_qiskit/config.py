"""What a Qiskit worker needs to know: the backend and how to run on it.

Plain data only (no Qiskit import), so the server can build and check it
cheaply; :mod:`covalent_qiskit.backends` turns it into primitives in the worker.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["BackendKind", "QiskitConfig", "backend_kind"]

REFERENCE_NAMES = ("statevector", "reference")
AER_NAMES = ("aer", "aer_simulator")
PRIMITIVES = ("auto", "sampler", "estimator")


class BackendKind:
    """The four families of backend the executor knows."""

    REFERENCE = "reference"  # qiskit.primitives.StatevectorSampler / StatevectorEstimator
    AER = "aer"  # qiskit_aer.primitives.SamplerV2 / EstimatorV2 on an AerSimulator
    FAKE = "fake"  # qiskit-ibm-runtime primitives on a fake IBM backend (local, through Aer)
    IBM = "ibm"  # qiskit-ibm-runtime primitives on IBM Quantum hardware


def backend_kind(name: str) -> str:
    """Classify a backend name (see :class:`QiskitConfig`)."""
    lowered = name.lower()
    if lowered in REFERENCE_NAMES:
        return BackendKind.REFERENCE
    if lowered in AER_NAMES:
        return BackendKind.AER
    if lowered.startswith("fake"):
        return BackendKind.FAKE
    if lowered == "ibm" or lowered.startswith(("ibm:", "ibm_")):
        return BackendKind.IBM
    raise ValueError(
        f"unknown Qiskit backend {name!r}: use 'statevector', 'aer', a fake IBM backend "
        "such as 'fake_manila', or an IBM Quantum backend ('ibm', 'ibm:<name>', 'ibm_<name>')"
    )


@dataclass
class QiskitConfig:
    """Settings of a :class:`~covalent_qiskit.QiskitExecutor`, as a worker receives them.

    ``backend``: ``"statevector"`` (the reference primitives), ``"aer"``
    (qiskit-aer, optionally with ``noise_model``), ``"fake_<name>"`` (a fake
    IBM backend of ``qiskit_ibm_runtime.fake_provider``, run locally through
    Aer with its noise), or IBM Quantum: ``"ibm"`` (least busy device),
    ``"ibm:<name>"`` or ``"ibm_<name>"``.
    """

    backend: str = "aer"
    primitive: str = "auto"
    shots: int = 1024
    precision: float | None = None
    seed: int | None = None
    optimization_level: int | None = 1
    noise_model: Any = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    ibm_channel: str | None = None
    ibm_token: str | None = None
    ibm_instance: str | None = None

    def __post_init__(self) -> None:
        self.kind = backend_kind(self.backend)
        if self.primitive not in PRIMITIVES:
            raise ValueError(f"primitive must be one of {PRIMITIVES}, not {self.primitive!r}")
        if int(self.shots) < 1:
            raise ValueError("shots must be a positive number")
        self.shots = int(self.shots)
        if self.optimization_level is not None and self.optimization_level not in (0, 1, 2, 3):
            raise ValueError("optimization_level must be 0, 1, 2, 3 or None (no transpilation)")
        if self.noise_model is not None and self.kind != BackendKind.AER:
            raise ValueError("noise_model applies to backend='aer' only")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def ibm_credentials(self) -> dict[str, str]:
        """Named options first, then ``QISKIT_IBM_CHANNEL/TOKEN/INSTANCE`` from the environment.

        Empty when nothing is set: ``QiskitRuntimeService()`` then reads the
        account saved with ``QiskitRuntimeService.save_account``.
        """
        values = {
            "channel": self.ibm_channel or os.environ.get("QISKIT_IBM_CHANNEL"),
            "token": self.ibm_token or os.environ.get("QISKIT_IBM_TOKEN"),
            "instance": self.ibm_instance or os.environ.get("QISKIT_IBM_INSTANCE"),
        }
        return {k: v for k, v in values.items() if v}

    def ibm_backend_name(self) -> str | None:
        """The IBM device asked for, or None for the least busy one."""
        if self.backend.lower() == "ibm":
            return None
        if self.backend.lower().startswith("ibm:"):
            return self.backend[4:]
        return self.backend
