"""Qiskit executor for covalent: electrons run on Qiskit V2 primitives.

``executor="qiskit"`` or ``QiskitExecutor(backend="aer", shots=2000, seed=7)``.
See the package README for both ways to write quantum electrons.
"""

from covalent_qiskit.executor import QiskitExecutor

__all__ = ["QiskitExecutor"]
