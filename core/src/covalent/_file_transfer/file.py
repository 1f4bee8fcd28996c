"""Covalent's ``covalent._file_transfer.file``."""

from covalent._sdk.transfer.file import File, register_remote_scheme

__all__ = ["File", "register_remote_scheme"]
