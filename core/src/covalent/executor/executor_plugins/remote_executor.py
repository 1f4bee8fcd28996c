"""Covalent's ``covalent.executor.executor_plugins.remote_executor``: ``RemoteExecutor``.

A face (docs/covalent-plugins.md) over :mod:`covalent.executor.legacy.classes`.
"""

from covalent.executor.legacy.classes import RemoteExecutor

__all__ = ["RemoteExecutor"]
