"""Covalent's ``covalent._file_transfer.strategies.http_strategy``."""

from covalent._sdk.transfer.strategies import HTTP

__all__ = ["HTTP"]
