"""File transfers of the SDK (``files=`` on electrons): ends, strategies and transfers.

Described here, run by :mod:`covalent.runtime.transfer` where the task runs.
Covalent's import paths (``covalent._file_transfer``, ``ct.fs``,
``ct.fs_strategies``) are faces over this package.
"""

from covalent._sdk.transfer.file import File, Folder, register_remote_scheme
from covalent._sdk.transfer.file_transfer import (
    FileTransfer,
    Order,
    TransferFromRemote,
    TransferToRemote,
    as_transfers,
    guess_transfer_strategy,
    register_downloader,
    register_uploader,
)
from covalent._sdk.transfer.strategies import (
    HTTP,
    S3,
    Blob,
    FileTransferStrategy,
    FSSpec,
    GCloud,
    Rsync,
    Shutil,
    StrategyPlan,
)

__all__ = [
    "HTTP",
    "S3",
    "Blob",
    "FSSpec",
    "File",
    "FileTransfer",
    "FileTransferStrategy",
    "Folder",
    "GCloud",
    "Order",
    "Rsync",
    "Shutil",
    "StrategyPlan",
    "TransferFromRemote",
    "TransferToRemote",
    "as_transfers",
    "guess_transfer_strategy",
    "register_downloader",
    "register_remote_scheme",
    "register_uploader",
]
