"""Plugin entry point (group ``covalent``): registers :class:`DaskExecutor` as "dask".

Kept cheap to import: the server imports every plugin at start-up.
"""

from __future__ import annotations

from typing import Any

from covalent.plugins import hookimpl
from covalent_dask.executor import DaskExecutor

__all__ = ["register_executors"]


@hookimpl
def register_executors(register: Any) -> None:
    """Register the Dask executor."""
    register(DaskExecutor)
