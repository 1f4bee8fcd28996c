"""Entry point of the ``covalent`` plugin group: registers the "pennylane" executor."""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register :class:`PennyLaneExecutor` as executor ``"pennylane"``."""
    # Here, not at the top: the class loads when executors are first needed.
    from covalent_pennylane.executor import PennyLaneExecutor

    register(PennyLaneExecutor)
