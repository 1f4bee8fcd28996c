"""The serialized form of an electron's or lattice's ``executor`` argument."""

from __future__ import annotations

from typing import Any

from covalent.executor.base import AsyncBaseExecutor, check_options

__all__ = ["executor_spec"]


def executor_spec(executor: Any) -> dict[str, Any] | None:
    """``None`` (the server's default), a name, or an executor instance -> JSON."""
    if executor is None or executor == "":
        return None
    if isinstance(executor, str):
        return {"name": executor, "kwargs": {}}
    if isinstance(executor, AsyncBaseExecutor):
        return executor.to_dict()
    if isinstance(executor, dict) and "name" in executor:
        name = str(executor["name"])
        return {"name": name, "kwargs": check_options(name, dict(executor.get("kwargs") or {}))}
    raise TypeError(f"executor must be a name such as 'dask' or an executor instance, not {executor!r}")
