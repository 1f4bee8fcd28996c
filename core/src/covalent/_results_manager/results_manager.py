"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.client.dispatch import cancel, get_result
from covalent.client.local_copy import delete_result as _delete_result
from covalent.client.result import Result
from covalent.client.result_manager import ResultManager, get_result_manager
from covalent.errors import MissingLatticeRecordError

__all__ = [
    "MissingLatticeRecordError",
    "Result",
    "ResultManager",
    "_delete_result",
    "cancel",
    "get_result",
    "get_result_manager",
]
