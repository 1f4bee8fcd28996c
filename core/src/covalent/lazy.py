"""A package's names, each imported from its module when first used (PEP 562).

A plugin package names its executor classes at its top, but importing them
at once would import their libraries (Dask, Qiskit, boto3...) wherever the
package is imported: by the server's plugin scan at start-up, and by the job
side of an executor.  :func:`lazy_names` gives the package the module-level
``__getattr__`` and ``__dir__`` that import each name on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``where`` imported from its module on first use."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
