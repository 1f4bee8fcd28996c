"""Entry point of the ``covalent`` plugin group: registers the "pennylane" executor."""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl
from covalent_pennylane.executor import PennyLaneExecutor

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register :class:`PennyLaneExecutor` as executor ``"pennylane"``."""
    register(PennyLaneExecutor)
