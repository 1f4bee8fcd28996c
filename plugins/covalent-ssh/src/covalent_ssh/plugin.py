"""Entry point of the ``covalent`` plugin group: registers the SSH executor (cheap to import: asyncssh loads on use)."""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register ``ssh``."""
    # Here, not at the top: the class loads when executors are first needed.
    from covalent_ssh.executor import SSHExecutor

    register(SSHExecutor)
