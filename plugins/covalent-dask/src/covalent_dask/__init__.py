"""Dask executor for covalent: ``DaskExecutor`` ("dask"), the default executor.

Importing this package does not import Dask; the cluster starts in
:meth:`DaskExecutor.setup`.
"""

from covalent_dask.executor import DaskExecutor

__all__ = ["DaskExecutor"]
