"""Covalent's ``covalent.executor.base``: its executor base classes, with its contract.

A face (docs/covalent-plugins.md): the classes are
:mod:`covalent.executor.legacy.classes`.  This project's own base classes are
``covalent.executor.JobExecutor`` and ``SyncJobExecutor``
(:mod:`covalent.executor.jobs`).
"""

from covalent.executor.legacy.classes import AsyncBaseExecutor, BaseExecutor

__all__ = ["AsyncBaseExecutor", "BaseExecutor"]
