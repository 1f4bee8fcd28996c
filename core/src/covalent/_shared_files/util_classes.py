"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent import status as RESULT_STATUS
from covalent.status import TERMINAL as TERMINAL_STATUSES
from covalent.status import Status

__all__ = ["RESULT_STATUS", "TERMINAL_STATUSES", "Status"]
