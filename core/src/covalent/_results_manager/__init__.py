"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent._results_manager import result, results_manager
from covalent.client.result import Result

__all__ = ["Result", "result", "results_manager"]
