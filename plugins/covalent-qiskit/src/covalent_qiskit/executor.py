"""``QiskitExecutor`` ("qiskit"): electrons on Qiskit V2 primitives.

Importing this module does not import Qiskit: that happens in the worker
processes, which keep it (and the simulators) loaded between jobs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from covalent.executor.pool import WorkerPools
from covalent.executor.pooled import PooledExecutor
from covalent_qiskit.config import QiskitConfig

__all__ = ["QiskitExecutor"]

_POOLS = WorkerPools(warm_modules=("qiskit", "qiskit_aer", "covalent_qiskit.worker"))


class QiskitExecutor(PooledExecutor):
    """Run electrons whose circuits or PUBs go to a Qiskit Sampler or Estimator (V2).

    An electron either *returns* circuits / PUBs, which the executor
    transpiles for the backend (preset pass manager at
    ``optimization_level``) and runs, returning plain results
    (:mod:`covalent_qiskit.results`); or it *declares* keyword parameters
    ``sampler``, ``estimator`` and/or ``pass_manager`` and calls the primitives
    itself.  Ordinary return values pass through unchanged.

    Args:
        backend: ``"aer"`` (default), ``"statevector"`` (Qiskit's reference
            primitives), ``"fake_<name>"`` (a fake IBM device from
            qiskit-ibm-runtime, simulated locally with its noise), or an IBM
            Quantum device: ``"ibm"`` (least busy), ``"ibm:<name>"``, ``"ibm_<name>"``.
        primitive: ``"auto"`` (decide per PUB), ``"sampler"`` or ``"estimator"``.
        shots: default shots of the sampler.
        precision: default target precision of the estimator (None: the
            backend's default; exact for ``"statevector"`` and ``"aer"``).
        seed: seed of the simulators and the transpiler, for reproducible results.
        optimization_level: preset pass manager level 0-3; None skips transpilation.
        noise_model: a ``qiskit_aer.noise.NoiseModel`` or its ``to_dict()``
            form, for ``backend="aer"`` (it travels to the server as that form).
        backend_options: keyword arguments of ``AerSimulator`` (``method``, ...).
        ibm_channel, ibm_token, ibm_instance: IBM Quantum credentials; default
            to ``QISKIT_IBM_CHANNEL``, ``QISKIT_IBM_TOKEN`` and
            ``QISKIT_IBM_INSTANCE`` in the worker's environment, then to the
            account saved with ``QiskitRuntimeService.save_account``.
        workers: worker processes (jobs run at once).
    """

    short_name = "qiskit"
    pools: ClassVar[WorkerPools] = _POOLS
    worker_target: ClassVar[str] = "covalent_qiskit.worker:run_job"

    def __init__(
        self,
        backend: str = "aer",
        primitive: str = "auto",
        shots: int = 1024,
        precision: float | None = None,
        seed: int | None = None,
        optimization_level: int | None = 1,
        noise_model: Any = None,
        backend_options: dict[str, Any] | None = None,
        ibm_channel: str | None = None,
        ibm_token: str | None = None,
        ibm_instance: str | None = None,
        workers: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(workers=workers, **kwargs)
        self.config = QiskitConfig(
            backend=backend,
            primitive=primitive,
            shots=shots,
            precision=precision,
            seed=seed,
            optimization_level=optimization_level,
            noise_model=noise_model,
            backend_options=dict(backend_options or {}),
            ibm_channel=ibm_channel,
            ibm_token=ibm_token,
            ibm_instance=ibm_instance,
        )

    def worker_config(self) -> dict[str, Any]:
        return self.config.to_dict()

    def options_json(self) -> dict[str, Any]:
        """A ``NoiseModel`` travels as its ``to_dict(serializable=True)`` form (which the constructor takes)."""
        options = super().options_json()
        noise = options.get("noise_model")
        if noise is not None and not isinstance(noise, dict) and hasattr(noise, "to_dict"):
            options["noise_model"] = noise.to_dict(serializable=True)
        return options

    def describe(self) -> dict[str, Any]:
        config = self.config
        return {
            "backend": config.backend,
            "kind": config.kind,
            "primitive": config.primitive,
            "shots": config.shots,
            "seed": config.seed,
            "optimization_level": config.optimization_level,
            "workers": self.workers,
        }

    def __repr__(self) -> str:
        shown = {k: v for k, v in getattr(self, "_init_kwargs", {}).items() if k != "ibm_token"}
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"
