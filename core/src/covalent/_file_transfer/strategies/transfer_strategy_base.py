"""Covalent's ``covalent._file_transfer.strategies.transfer_strategy_base``."""

from covalent._sdk.transfer.strategies import FileTransferStrategy

__all__ = ["FileTransferStrategy"]
