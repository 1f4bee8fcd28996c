"""Covalent's ``covalent._file_transfer.strategies.shutil_strategy``."""

from covalent._sdk.transfer.strategies import Shutil

__all__ = ["Shutil"]
