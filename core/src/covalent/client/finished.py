"""Final states the server has already sent with another answer, kept until read once.

A redispatch whose every node takes a previous output has ended by the time
the server answers, and the answer carries the dispatch's summary and small
output.  ``get_result`` takes it from here instead of asking the server again;
it is read once, so a later ``get_result`` sees the server's current record.
An answer is kept by its dispatch id with the address of the server that
sent it, so ``get_result`` finds it without setting up a connection (its
address, token and proxy settings: some 30-90 us of the client's CPU).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["remember", "take"]

_LIMIT = 256
_final: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def remember(address: str, answer: dict[str, Any]) -> None:
    """Keep ``answer`` (with ``dispatch_id`` and ``summary``), sent by the server at ``address``, for one ``take``."""
    with _lock:
        _final[answer["dispatch_id"]] = (address, answer)
        while len(_final) > _LIMIT:
            _final.popitem(last=False)


def take(dispatch_id: str, address: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """The answer kept for ``dispatch_id`` and the address of the server that sent it, once.

    ``address``: only an answer that server sent (None: whichever server sent
    it, the one a dispatch id names).
    """
    with _lock:
        kept = _final.get(dispatch_id)
        if kept is None or (address is not None and kept[0] != address):
            return None
        del _final[dispatch_id]
        return kept
