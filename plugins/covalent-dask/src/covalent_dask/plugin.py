"""Plugin entry point (group ``covalent``): registers :class:`DaskExecutor` as "dask".

Kept cheap to import: the server imports every plugin at start-up.
"""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_commands", "register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register the Dask executor."""
    # Here, not at the top: the class loads when executors are first needed.
    from covalent_dask.executor import DaskExecutor

    register(DaskExecutor)


@hookimpl
def register_commands(register: Any) -> None:
    """Add ``covalent cluster`` (imported only when it runs)."""
    register("cluster", "covalent_dask.cli:cluster")
