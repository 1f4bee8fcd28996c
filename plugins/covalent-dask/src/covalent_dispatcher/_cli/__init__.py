"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""
