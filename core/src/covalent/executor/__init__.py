"""Executors: base classes for plugin authors, and every installed executor.

``ct.executor.LocalExecutor`` is built in; each installed plugin's executor
classes appear here by class name too (``ct.executor.DaskExecutor``), and
so do the classes of executors written for Covalent
(``ct.executor.SlurmExecutor`` from covalent-slurm-plugin), unless a native
executor has the class name.

Base classes: :class:`JobExecutor` (and :class:`SyncJobExecutor`) are this
project's (an executor runs jobs: docs/writing-an-executor-plugin.md);
``BaseExecutor`` and ``AsyncBaseExecutor`` are Covalent's, with Covalent's
contract, as Covalent code imports them from here and from
``covalent.executor.base`` (docs/covalent-plugins.md).
"""

from __future__ import annotations

from typing import Any

from covalent.executor.jobs import (
    Job,
    JobExecutor,
    JobFailedError,
    JobLostError,
    JobOutcome,
    JobState,
    NodeOutcome,
    SyncJobExecutor,
)
from covalent.executor.legacy.classes import AsyncBaseExecutor, BaseExecutor
from covalent.executor.local import LocalExecutor
from covalent.executor.pool import WorkerPools
from covalent.executor.pooled import PooledExecutor
from covalent.executor.registry import ExecutorNames

__all__ = [
    "AsyncBaseExecutor",
    "BaseExecutor",
    "JobExecutor",
    "SyncJobExecutor",
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

    classes = executor_classes().values()
    for cls in classes:
        if cls.__name__ == name and not hasattr(cls, "plugin"):
            return cls
    for cls in classes:  # Covalent plugins: their own class, as Covalent exported it here
        plugin = getattr(cls, "plugin", None)
        if plugin is not None and plugin.class_name == name:
            return plugin.load_class()
    raise AttributeError(
        f"module 'covalent.executor' has no executor {name!r}; `covalent plugins` lists what is installed"
    )


def __dir__() -> list[str]:
    from covalent.executor.registry import executor_classes

    names = {getattr(getattr(cls, "plugin", None), "class_name", cls.__name__) for cls in executor_classes().values()}
    return sorted({*__all__, *names})
