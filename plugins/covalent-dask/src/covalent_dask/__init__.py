"""Dask executor for covalent: ``DaskExecutor`` ("dask"), the default executor.

Importing this package does not import Dask; the cluster starts in
:meth:`DaskExecutor.setup`.

Names are loaded on first use: the server imports every plugin's entry point at
start-up and registers its executor classes only when they are first needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DaskExecutor",
]

_WHERE = {
    "DaskExecutor": "covalent_dask.executor",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
