"""Executors: base classes for plugin authors, and every installed executor.

``ct.executor.LocalExecutor`` is built in; each installed plugin's executor
classes appear here by class name too (``ct.executor.DaskExecutor``).
"""

from __future__ import annotations

from typing import Any

from covalent.executor.base import (
    AsyncBaseExecutor,
    BaseExecutor,
    Job,
    JobFailedError,
    JobLostError,
    JobOutcome,
    JobState,
    NodeOutcome,
)
from covalent.executor.local import LocalExecutor
from covalent.executor.pool import WorkerPools
from covalent.executor.pooled import PooledExecutor
from covalent.executor.registry import ExecutorNames

__all__ = [
    "AsyncBaseExecutor",
    "BaseExecutor",
    "Job",
    "JobFailedError",
    "JobLostError",
    "JobOutcome",
    "JobState",
    "LocalExecutor",
    "NodeOutcome",
    "PooledExecutor",
    "WorkerPools",
]

#: Covalent's name for the list of installed executors (``_executor_manager.list_executors()``).
_executor_manager = ExecutorNames()


def __getattr__(name: str) -> Any:
    from covalent.executor.registry import executor_classes

    for cls in executor_classes().values():
        if cls.__name__ == name:
            return cls
    raise AttributeError(
        f"module 'covalent.executor' has no executor {name!r}; `covalent plugins` lists what is installed"
    )


def __dir__() -> list[str]:
    from covalent.executor.registry import executor_classes

    return sorted({*__all__, *(cls.__name__ for cls in executor_classes().values())})
