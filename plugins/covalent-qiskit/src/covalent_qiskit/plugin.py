"""Entry point of the ``covalent`` plugin group: registers the "qiskit" executor."""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl
from covalent_qiskit.executor import QiskitExecutor

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register :class:`QiskitExecutor` as executor ``"qiskit"``."""
    register(QiskitExecutor)
