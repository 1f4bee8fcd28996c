"""Build V2 primitives and a preset pass manager from a :class:`QiskitConfig` (worker side).

Backend objects (Aer simulators, fake IBM backends, the IBM service) are
cached per worker process; primitives are built fresh for every job so that
a fixed seed gives the same result for the same job.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2
from qiskit.transpiler import PassManager, generate_preset_pass_manager

from covalent_qiskit.config import BackendKind, QiskitConfig

__all__ = ["Primitives", "build_primitives", "fake_backend"]

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


@dataclass
class Primitives:
    """What a job runs with: the two primitives, a pass manager and a backend name."""

    sampler: BaseSamplerV2
    estimator: BaseEstimatorV2
    pass_manager: PassManager | None
    backend_name: str
    backend: Any = None


def _cached(key: str, build: Any) -> Any:
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]


def _key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=repr)


def fake_backend(name: str) -> Any:
    """A fake IBM backend by name: ``"fake_manila"``, ``"FakeManilaV2"`` or ``"manila"``."""
    from qiskit_ibm_runtime import fake_provider

    stem = name[5:] if name.lower().startswith("fake_") else name
    if stem.startswith("Fake"):
        candidates = [stem]
    else:
        camel = "".join(part.capitalize() for part in stem.split("_"))
        candidates = [f"Fake{camel}V2", f"Fake{camel}"]
    for candidate in candidates:
        cls = getattr(fake_provider, candidate, None)
        if isinstance(cls, type):
            return cls()
    known = sorted(n for n in dir(fake_provider) if n.startswith("Fake") and "Provider" not in n)
    raise ValueError(
        f"qiskit-ibm-runtime has no fake backend {name!r}; known: {', '.join(known)} "
        "(name them as 'fake_manila' or 'FakeManilaV2')"
    )


def _pass_manager(config: QiskitConfig, backend: Any, cache: bool = True) -> PassManager | None:
    """The preset pass manager for ``backend`` (building one for Aer takes ~0.2 s).

    Cached per backend object: pass ``cache=False`` for a backend object that is
    not itself cached (its id could be reused by another one).
    """
    if config.optimization_level is None:
        return None

    def build() -> PassManager:
        return generate_preset_pass_manager(
            optimization_level=config.optimization_level, backend=backend, seed_transpiler=config.seed
        )

    if not cache:
        return build()
    return _cached(_key("pm", id(backend), config.optimization_level, config.seed), build)


def _reference(config: QiskitConfig) -> Primitives:
    from qiskit.primitives import StatevectorEstimator, StatevectorSampler

    sampler = StatevectorSampler(default_shots=config.shots, seed=config.seed)
    estimator = StatevectorEstimator(default_precision=config.precision or 0.0, seed=config.seed)
    return Primitives(sampler, estimator, _pass_manager(config, None), "statevector")


def _aer(config: QiskitConfig) -> Primitives:
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.primitives import EstimatorV2, SamplerV2

    def simulator() -> Any:
        options = dict(config.backend_options)
        noise = config.noise_model
        if isinstance(noise, dict):
            noise = NoiseModel.from_dict(noise)
        if noise is not None:
            options["noise_model"] = noise
        return AerSimulator(**options)

    noise_key = config.noise_model
    if isinstance(noise_key, NoiseModel):  # its repr leaves out the error rates
        noise_key = noise_key.to_dict(serializable=True)
    backend = _cached(_key("aer", config.backend_options, noise_key), simulator)
    sampler = SamplerV2.from_backend(backend, default_shots=config.shots, seed=config.seed)
    estimator_options: dict[str, Any] = {"default_precision": config.precision or 0.0}
    if config.seed is not None:
        estimator_options["run_options"] = {"seed_simulator": config.seed}
    estimator = EstimatorV2.from_backend(backend, options=estimator_options)
    return Primitives(sampler, estimator, _pass_manager(config, backend), backend.name, backend)


def _runtime_primitives(config: QiskitConfig, backend: Any, name: str, cache: bool = True) -> Primitives:
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2

    sampler_options: dict[str, Any] = {"default_shots": config.shots}
    estimator_options: dict[str, Any] = {}
    if config.precision:
        estimator_options["default_precision"] = config.precision
    if config.seed is not None and config.kind == BackendKind.FAKE:
        sampler_options["simulator"] = {"seed_simulator": config.seed}
        estimator_options["simulator"] = {"seed_simulator": config.seed}
    sampler = SamplerV2(mode=backend, options=sampler_options)
    estimator = EstimatorV2(mode=backend, options=estimator_options)
    return Primitives(sampler, estimator, _pass_manager(config, backend, cache), name, backend)


def _fake(config: QiskitConfig) -> Primitives:
    backend = _cached(_key("fake", config.backend), lambda: fake_backend(config.backend))
    return _runtime_primitives(config, backend, backend.name)


def _ibm(config: QiskitConfig) -> Primitives:
    from qiskit_ibm_runtime import QiskitRuntimeService

    credentials = config.ibm_credentials()
    service = _cached(_key("ibm", credentials), lambda: QiskitRuntimeService(**credentials))
    name = config.ibm_backend_name()
    if name is None:  # a new choice for every job
        backend = service.least_busy(operational=True, simulator=False)
        return _runtime_primitives(config, backend, backend.name, cache=False)
    backend = _cached(_key("ibm", credentials, name), lambda: service.backend(name))
    return _runtime_primitives(config, backend, backend.name)


_BUILDERS = {
    BackendKind.REFERENCE: _reference,
    BackendKind.AER: _aer,
    BackendKind.FAKE: _fake,
    BackendKind.IBM: _ibm,
}


def build_primitives(config: QiskitConfig) -> Primitives:
    """The sampler, estimator and pass manager of ``config``'s backend."""
    return _BUILDERS[config.kind](config)
