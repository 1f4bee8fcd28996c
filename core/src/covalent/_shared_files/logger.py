"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.log import app_log, log_stack_info

__all__ = ["app_log", "log_stack_info"]
