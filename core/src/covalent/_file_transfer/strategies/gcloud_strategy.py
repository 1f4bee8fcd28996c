"""Covalent's ``covalent._file_transfer.strategies.gcloud_strategy``."""

from covalent._sdk.transfer.strategies import GCloud

__all__ = ["GCloud"]
