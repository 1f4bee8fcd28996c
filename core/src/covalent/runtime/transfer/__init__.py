"""File transfers where the task runs (``files=``): one engine on fsspec, plus rsync.

:class:`TransferSpec` says what to move (plain data, in the payload),
:class:`NodeTransfers` moves it before and after the task and keeps a
:class:`TransferRecord` per transfer for the node's outcome.
"""

from covalent.runtime.transfer.engine import NodeTransfers, TransferError, is_transient
from covalent.runtime.transfer.filesystems import EXTRAS, MissingExtraError, UnknownSchemeError, open_location
from covalent.runtime.transfer.locations import is_local, local_path, redact, scheme_of
from covalent.runtime.transfer.spec import AFTER, BEFORE, TransferRecord, TransferSpec, TransferStatus

__all__ = [
    "AFTER",
    "BEFORE",
    "EXTRAS",
    "MissingExtraError",
    "NodeTransfers",
    "TransferError",
    "TransferRecord",
    "TransferSpec",
    "TransferStatus",
    "UnknownSchemeError",
    "is_local",
    "is_transient",
    "local_path",
    "open_location",
    "redact",
    "scheme_of",
]
