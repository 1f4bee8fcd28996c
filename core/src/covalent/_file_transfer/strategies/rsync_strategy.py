"""Covalent's ``covalent._file_transfer.strategies.rsync_strategy``.

``Popen`` is here because code written for Covalent patches
``rsync_strategy.Popen``; the transfer itself runs in the worker runtime
(:mod:`covalent.runtime.transfer.rsync`), which such a patch cannot reach.
"""

from subprocess import Popen

from covalent._sdk.transfer.strategies import Rsync

__all__ = ["Popen", "Rsync"]
