"""A short, safe text form of a value, made where the value is (the worker, or the SDK at dispatch).

The server and the dashboard show these texts and never unpickle a value to
describe it.  A preview is bounded whatever the value: containers are cut
after a few dozen items and a few levels, long texts in the middle, and the
whole to :data:`PREVIEW_CHARS` characters (NUL, which databases refuse,
becomes U+FFFD).
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["PREVIEW_CHARS", "preview_text"]

#: The longest preview, in characters.
PREVIEW_CHARS = 2000

_SMALL_INT = 10**18


def _repr() -> reprlib.Repr:
    shortened = reprlib.Repr()
    shortened.maxlevel = 6
    shortened.maxtuple = shortened.maxlist = shortened.maxarray = 100
    shortened.maxset = shortened.maxfrozenset = shortened.maxdeque = 100
    shortened.maxdict = 50
    shortened.maxstring = PREVIEW_CHARS
    shortened.maxlong = 400
    shortened.maxother = PREVIEW_CHARS
    return shortened


_SHORTENED = _repr()


_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})
_ATOMS = frozenset({bool, int, float, complex, type(None)})
_SMALL_CONTAINER = 20


def _atoms(value: Any) -> bool:
    """Every item (key and value of a dict) is a number, None, or a short text."""
    items = [*value.keys(), *value.values()] if type(value) is dict else value
    return all(
        (type(v) in _ATOMS and (type(v) is not int or -_SMALL_INT < v < _SMALL_INT))
        or (type(v) is str and len(v) <= 100)
        for v in items
    )


def preview_text(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """``repr``-like text of ``value``, at most ``limit`` characters; never raises."""
    kind = type(value)
    try:
        if kind in (bool, float, type(None)) or (kind is int and -_SMALL_INT < value < _SMALL_INT):
            text = repr(value)  # the common case, a tenth of reprlib's time
        elif kind is str and len(value) <= limit:
            text = repr(value)
        elif kind in (bytes, bytearray) and len(value) > limit:
            # reprlib would repr the whole value first (a 100 MB output: 400 MB of text) to cut it after
            text = repr(value[:limit])
        elif kind in _CONTAINERS and len(value) <= _SMALL_CONTAINER and _atoms(value):
            text = repr(value)  # a few plain items: their repr is short and quick
        else:
            text = _SHORTENED.repr(value)
    except Exception as exc:  # a __repr__ that fails is the value's business, not the job's
        text = f"<{kind.__qualname__} (its repr failed: {type(exc).__name__})>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("\x00", "\ufffd")
