"""Slurm executors for covalent.

* :class:`SlurmExecutor` (``executor="slurm"``): one ``sbatch`` job per
  covalent job, submitted here or on a login node over SSH.
* :class:`SlurmPoolExecutor` (``executor="slurm_pool"``): a pool of Dask
  workers running as Slurm jobs (dask-jobqueue), for many small tasks.
"""

from covalent_slurm.executor import SlurmExecutor
from covalent_slurm.pool import SlurmPoolExecutor

__all__ = ["SlurmExecutor", "SlurmPoolExecutor"]
