"""Covalent's ``covalent._file_transfer.strategies`` (``ct.fs_strategies``), plus ``FSSpec`` for any fsspec URL."""

from covalent._sdk.transfer.strategies import HTTP, S3, Blob, FSSpec, GCloud, Rsync, Shutil

__all__ = ["HTTP", "S3", "Blob", "FSSpec", "GCloud", "Rsync", "Shutil"]
