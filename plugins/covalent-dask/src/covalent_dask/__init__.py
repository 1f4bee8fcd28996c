"""Dask executor for covalent: ``DaskExecutor`` ("dask"), the default executor.

Importing this package does not import Dask; the cluster starts in
:meth:`DaskExecutor.setup`.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

from covalent.lazy import lazy_names

__all__ = [
    "DaskExecutor",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "DaskExecutor": "covalent_dask.executor",
    },
)
