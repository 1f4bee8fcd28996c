"""Turn primitive results into plain, picklable Python values.

Results travel back to the server and the SDK, where Qiskit may not be
installed, so they hold only dicts, lists, strings and numbers.

A sampler PUB gives::

    {"primitive": "sampler", "counts": {"00": 510, "11": 514},
     "probabilities": {"00": 0.498, "11": 0.502}, "shots": 1024,
     "registers": {"meas": {...}}, "shape": [], "metadata": {...}}

An estimator PUB gives::

    {"primitive": "estimator", "evs": 0.7071, "stds": 0.0, "shape": [],
     "metadata": {...}}

For a PUB with a parameter sweep (``shape`` not empty), ``counts``,
``probabilities``, each register's counts, ``evs`` and ``stds`` are nested
lists of that shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["estimator_result", "plain", "sampler_result"]


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-like copy of ``value``: numpy values become Python ones, the rest ``repr``."""
    if depth > 20:
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, complex):
        return {"real": value.real, "imag": value.imag}
    return repr(value)


def _nested(shape: tuple[int, ...], get: Callable[[tuple[int, ...]], Any]) -> Any:
    """Build a nested list of ``shape`` whose leaves are ``get(index)``."""

    def build(prefix: tuple[int, ...]) -> Any:
        if len(prefix) == len(shape):
            return get(prefix)
        return [build((*prefix, i)) for i in range(shape[len(prefix)])]

    return build(())


def _probabilities(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def sampler_result(pub_result: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """A sampler PUB result as plain values (see the module docstring)."""
    joined = pub_result.join_data()
    shape = tuple(joined.shape)
    registers = {name: pub_result.data[name] for name in pub_result.data}

    def counts_at(bits: Any) -> Callable[[tuple[int, ...]], dict[str, int]]:
        return lambda index: {k: int(v) for k, v in bits.get_counts(index or None).items()}

    counts = _nested(shape, counts_at(joined))
    probabilities = _nested(shape, lambda index: _probabilities(counts_at(joined)(index)))
    return {
        "primitive": "sampler",
        "counts": counts,
        "probabilities": probabilities,
        "shots": int(joined.num_shots),
        "registers": {name: _nested(shape, counts_at(bits)) for name, bits in registers.items()},
        "shape": list(shape),
        "metadata": {**plain(pub_result.metadata), **extra},
    }


def estimator_result(pub_result: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """An estimator PUB result as plain values (see the module docstring)."""
    evs = np.asarray(pub_result.data.evs)
    stds = np.asarray(pub_result.data.stds)
    return {
        "primitive": "estimator",
        "evs": evs.tolist(),
        "stds": stds.tolist(),
        "shape": list(evs.shape),
        "metadata": {**plain(pub_result.metadata), **extra},
    }
