"""Entry point of the ``covalent`` plugin group: registers the Slurm executors.

Kept cheap to import: the executor modules import asyncssh and dask lazily.
"""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register ``slurm`` and ``slurm_pool``."""
    # Here, not at the top: the class loads when executors are first needed.
    from covalent_slurm.executor import SlurmExecutor
    from covalent_slurm.pool import SlurmPoolExecutor

    register(SlurmExecutor)
    register(SlurmPoolExecutor)
