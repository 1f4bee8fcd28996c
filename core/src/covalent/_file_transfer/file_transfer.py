"""Covalent's ``covalent._file_transfer.file_transfer``."""

from covalent._sdk.transfer.file_transfer import (
    FileTransfer,
    TransferFromRemote,
    TransferToRemote,
    guess_transfer_strategy,
    register_downloader,
    register_uploader,
)

__all__ = [
    "FileTransfer",
    "TransferFromRemote",
    "TransferToRemote",
    "guess_transfer_strategy",
    "register_downloader",
    "register_uploader",
]
