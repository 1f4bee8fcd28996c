"""Covalent's ``covalent._file_transfer.folder``."""

from covalent._sdk.transfer.file import Folder

__all__ = ["Folder"]
