"""The serialized form of an electron's or lattice's ``executor`` argument."""

from __future__ import annotations

from typing import Any

from covalent.errors import ExecutorOptionsError
from covalent.executor.jobs import JobExecutor, check_options
from covalent.executor.legacy.classes import CovalentExecutor

__all__ = ["covalent_executor_spec", "executor_spec"]


def executor_spec(executor: Any) -> dict[str, Any] | None:
    """``None`` (the server's default), a name, or an executor instance -> JSON."""
    if executor is None or executor == "":
        return None
    if isinstance(executor, str):
        return {"name": executor, "kwargs": {}}
    if isinstance(executor, JobExecutor):
        return executor.to_dict()
    if isinstance(executor, CovalentExecutor):
        return covalent_executor_spec(executor)
    if isinstance(executor, dict) and "name" in executor:
        name = str(executor["name"])
        return {"name": name, "kwargs": check_options(name, dict(executor.get("kwargs") or {}))}
    raise TypeError(f"executor must be a name such as 'dask' or an executor instance, not {executor!r}")


def covalent_executor_spec(executor: CovalentExecutor) -> dict[str, Any]:
    """An executor of Covalent's contract as it travels: ``covalent:<name>`` and its attributes (JSON).

    The server rebuilds it in a worker from these attributes, as Covalent's
    ``from_dict`` did.  Paths travel as strings; a private attribute that is
    not JSON (state the executor made for itself) is left out; any other
    is refused here, naming it.
    """
    import json
    import os

    attributes: dict[str, Any] = {}
    for key, value in executor.__dict__.items():
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        try:
            json.dumps(value)
        except (TypeError, ValueError, RecursionError):
            if key.startswith("_"):
                continue
            raise ExecutorOptionsError(
                f"executor {type(executor).__name__}: attribute {key!r} is a {type(value).__name__}, which cannot "
                "travel to the server as JSON (the server never unpickles executor options)"
            ) from None
        attributes[key] = value
    return {"name": f"covalent:{executor.short_name()}", "kwargs": {"attributes": attributes}}
