"""Covalent's ``covalent._file_transfer.strategies.blob_strategy``."""

from covalent._sdk.transfer.strategies import Blob

__all__ = ["Blob"]
