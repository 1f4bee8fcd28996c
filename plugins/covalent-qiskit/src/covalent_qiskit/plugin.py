"""Entry point of the ``covalent`` plugin group: registers the "qiskit" executor."""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register :class:`QiskitExecutor` as executor ``"qiskit"``."""
    # Here, not at the top: the class loads when executors are first needed.
    from covalent_qiskit.executor import QiskitExecutor

    register(QiskitExecutor)
