"""Qiskit executor for covalent: electrons run on Qiskit V2 primitives.

``executor="qiskit"`` or ``QiskitExecutor(backend="aer", shots=2000, seed=7)``.
See the package README for both ways to write quantum electrons.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "QiskitExecutor",
]

_WHERE = {
    "QiskitExecutor": "covalent_qiskit.executor",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
