"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent._sdk.electron import Electron, electron, wait

__all__ = ["Electron", "electron", "wait"]
