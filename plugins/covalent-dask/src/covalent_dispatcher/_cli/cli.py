"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent.cli import cli
from covalent_dask.cli import cluster

__all__ = ["cli", "cluster"]
