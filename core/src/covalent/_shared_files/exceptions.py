"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.errors import CommandNotFoundError, MissingLatticeRecordError, TaskCancelledError, TaskRuntimeError

__all__ = ["CommandNotFoundError", "MissingLatticeRecordError", "TaskCancelledError", "TaskRuntimeError"]
