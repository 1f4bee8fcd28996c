"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent._sdk.lattice import Lattice, lattice

__all__ = ["Lattice", "lattice"]
