"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent._sdk.deps import DepsBash, DepsCall, DepsModule, DepsPip
from covalent._sdk.electron import electron
from covalent._sdk.lattice import lattice
from covalent.graph.transportable import TransportableObject

__all__ = ["DepsBash", "DepsCall", "DepsModule", "DepsPip", "TransportableObject", "electron", "lattice"]
