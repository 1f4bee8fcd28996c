"""Covalent's ``covalent._file_transfer.strategies.s3_strategy``."""

from covalent._sdk.transfer.strategies import S3

__all__ = ["S3"]
