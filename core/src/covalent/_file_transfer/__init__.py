"""Covalent's ``covalent._file_transfer`` (``ct.fs``), over :mod:`covalent._sdk.transfer`."""

from covalent._file_transfer import strategies
from covalent._sdk.transfer import (
    File,
    FileTransfer,
    Folder,
    Order,
    TransferFromRemote,
    TransferToRemote,
    register_downloader,
    register_uploader,
)

__all__ = [
    "File",
    "FileTransfer",
    "Folder",
    "Order",
    "TransferFromRemote",
    "TransferToRemote",
    "register_downloader",
    "register_uploader",
    "strategies",
]
