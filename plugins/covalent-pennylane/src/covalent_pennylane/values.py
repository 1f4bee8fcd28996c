"""Make task outputs plain: no PennyLane types in what travels back.

The server and the SDK unpickle outputs, and may not have PennyLane.  A
PennyLane ``tensor`` (``pennylane.numpy``) becomes a plain numpy array, a
0-d array or numpy scalar a Python number; lists, tuples and dicts are
converted item by item.  Anything else is left as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plain_output"]


def plain_output(value: Any, depth: int = 0) -> Any:
    """``value`` with PennyLane tensors and numpy scalars replaced by plain values."""
    if depth > 50:
        return value
    if isinstance(value, np.ndarray):
        array = np.asarray(value).view(np.ndarray)
        return array.item() if array.ndim == 0 else np.array(array)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [plain_output(v, depth + 1) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(plain_output(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {k: plain_output(v, depth + 1) for k, v in value.items()}
    return value
