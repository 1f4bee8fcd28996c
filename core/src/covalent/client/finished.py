"""Final states the server has already sent with another answer, kept until read once.

A redispatch whose every node takes a previous output has ended by the time
the server answers, and the answer carries the dispatch's summary and small
output.  ``get_result`` takes it from here instead of asking the server again;
it is read once, so a later ``get_result`` sees the server's current record.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["remember", "take"]

_LIMIT = 256
_final: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def remember(address: str, answer: dict[str, Any]) -> None:
    """Keep ``answer`` (with ``dispatch_id`` and ``summary``) for one ``take``."""
    with _lock:
        _final[(address, answer["dispatch_id"])] = answer
        while len(_final) > _LIMIT:
            _final.popitem(last=False)


def take(address: str, dispatch_id: str) -> dict[str, Any] | None:
    with _lock:
        return _final.pop((address, dispatch_id), None)
