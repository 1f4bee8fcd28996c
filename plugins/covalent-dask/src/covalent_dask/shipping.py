"""Send the worker-side functions of :mod:`covalent_dask.worker` to Dask by value.

Dask pickles a task with the standard pickler first, which names a function
by its module, so a worker would need ``bondflow-dask`` installed to run it.
:func:`by_value` wraps such a function in an object that pickles as
``cloudpickle.loads(<the function's code>)``: the worker needs only
``cloudpickle``, ``distributed`` and ``covalent``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["by_value"]

_lock = threading.Lock()
_cache: dict[Callable[..., Any], ByValue] = {}


class ByValue:
    """A callable that unpickles as the function it wraps, shipped by value."""

    def __init__(self, func: Callable[..., Any], blob: bytes) -> None:
        self.func = func
        self.blob = blob

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        import cloudpickle

        return cloudpickle.loads, (self.blob,)

    def __repr__(self) -> str:
        return f"ByValue({self.func.__module__}.{self.func.__qualname__})"


def by_value(func: Callable[..., Any]) -> ByValue:
    """``func`` wrapped so that it pickles by value (the pickle is made once per process)."""
    with _lock:
        wrapped = _cache.get(func)
        if wrapped is None:
            import sys

            import cloudpickle

            module = sys.modules[func.__module__]
            registered = module.__name__ in cloudpickle.list_registry_pickle_by_value()
            if not registered:
                cloudpickle.register_pickle_by_value(module)
            try:
                blob = cloudpickle.dumps(func)
            finally:
                if not registered:
                    cloudpickle.unregister_pickle_by_value(module)
            wrapped = _cache[func] = ByValue(func, blob)
        return wrapped
