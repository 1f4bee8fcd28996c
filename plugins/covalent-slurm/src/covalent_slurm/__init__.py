"""Slurm executors for covalent.

* :class:`SlurmExecutor` (``executor="slurm"``): one ``sbatch`` job per
  covalent job, submitted here or on a login node over SSH.
* :class:`SlurmPoolExecutor` (``executor="slurm_pool"``): a pool of Dask
  workers running as Slurm jobs (dask-jobqueue), for many small tasks.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "SlurmExecutor",
    "SlurmPoolExecutor",
]

_WHERE = {
    "SlurmExecutor": "covalent_slurm.executor",
    "SlurmPoolExecutor": "covalent_slurm.pool",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
