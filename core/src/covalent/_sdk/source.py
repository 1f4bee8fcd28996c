"""The source text of a task or workflow function, decorators included."""

from __future__ import annotations

import inspect
import weakref
from types import CodeType, FunctionType
from typing import Any

__all__ = ["cached_source", "function_source"]

#: Each function's source as read, with the code object it was read for.
_SOURCES: weakref.WeakKeyDictionary[FunctionType, tuple[CodeType, str]] = weakref.WeakKeyDictionary()


def cached_source(target: Any) -> str:
    """``inspect.getsource(target)``, read once per function (and again if its code is replaced).

    Every dispatch sends its lattice's and electrons' sources, and reading one
    (``linecache``'s check of the file, then ``tokenize`` to find the block) took
    ~0.1 ms: two of them were 0.2 ms of the client's 1.4 ms of CPU in a
    one-electron round trip.  A function redefined (a notebook cell run again,
    a module reloaded) is a new function, read afresh; one whose file changed
    under it keeps the text of the code it runs.  Raises what
    :func:`inspect.getsource` raises.
    """
    function = inspect.unwrap(target) if callable(target) else target
    if not isinstance(function, FunctionType):
        return inspect.getsource(target)
    code = function.__code__
    known = _SOURCES.get(function)
    if known is not None and known[0] is code:
        return known[1]
    text = inspect.getsource(function)
    _SOURCES[function] = (code, text)
    return text


def function_source(function: Any) -> str:
    """The definition of ``function`` as written (with its decorators), then two newlines.

    Lattices and electrons are unwrapped to the function they hold, however
    deeply nested.  A function whose source cannot be read gives a comment
    saying so.  (Covalent's ``get_serialized_function_str``, which ends each
    text the same way.)
    """
    target = function
    seen: set[int] = set()
    while hasattr(target, "_function") and id(target) not in seen:  # a lattice: its own function
        seen.add(id(target))
        target = target._function
    try:
        text = cached_source(target)  # follows __wrapped__ through electrons
    except (OSError, TypeError):
        text = f"# {getattr(function, '__name__', type(function).__name__)} was not inspectable"
    return text + "\n\n"
