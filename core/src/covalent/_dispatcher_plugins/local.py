"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.client.local_dispatcher import LocalDispatcher

__all__ = ["LocalDispatcher"]
