"""The source text of a task or workflow function, decorators included."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["function_source"]


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
        text = inspect.getsource(target)  # follows __wrapped__ through electrons
    except (OSError, TypeError):
        text = f"# {getattr(function, '__name__', type(function).__name__)} was not inspectable"
    return text + "\n\n"
