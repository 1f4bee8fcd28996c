"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.client.result import Result

__all__ = ["Result"]
