"""Qiskit executor for covalent: electrons run on Qiskit V2 primitives.

``executor="qiskit"`` or ``QiskitExecutor(backend="aer", shots=2000, seed=7)``.
See the package README for both ways to write quantum electrons.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

from covalent.lazy import lazy_names

__all__ = [
    "QiskitExecutor",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "QiskitExecutor": "covalent_qiskit.executor",
    },
)
