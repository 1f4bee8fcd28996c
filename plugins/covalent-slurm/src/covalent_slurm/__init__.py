"""Slurm executors for covalent.

* :class:`SlurmExecutor` (``executor="slurm"``): one ``sbatch`` job per
  covalent job, submitted here or on a login node over SSH.
* :class:`SlurmPoolExecutor` (``executor="slurm_pool"``): a pool of Dask
  workers running as Slurm jobs (dask-jobqueue), for many small tasks.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

from covalent.lazy import lazy_names

__all__ = [
    "SlurmExecutor",
    "SlurmPoolExecutor",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "SlurmExecutor": "covalent_slurm.executor",
        "SlurmPoolExecutor": "covalent_slurm.pool",
    },
)
