"""Covalent's import path, kept for existing code: a face over this project's modules (docs/compatibility.md)."""

from covalent._sdk.source import function_source as get_serialized_function_str

__all__ = ["get_serialized_function_str"]
