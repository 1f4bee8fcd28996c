"""Pickling of functions and values, content-addressed.

Functions and values travel as cloudpickle bytes named by their SHA-256, so a
function called by a thousand nodes is stored and sent once.

Modules that are *installed* (the standard library, anything in
site-packages, and the covalent packages) are pickled by reference, as usual.
Every other module a workflow uses -- a script, a notebook, a package folder
that only the client has on its path -- is pickled *by value*, so the server
and the workers do not need to import it.  Covalent fails there with
``ModuleNotFoundError``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import site
import sys
import sysconfig
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from types import ModuleType
from typing import Any

import cloudpickle

from covalent.errors import CovalentError, SerializationError

__all__ = [
    "blob_key",
    "by_value_modules",
    "dumps",
    "is_installed_module",
    "loads",
    "register_by_value",
]

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_lock = threading.Lock()


def blob_key(data: bytes) -> str:
    """The content address of a blob."""
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def _installed_roots() -> tuple[str, ...]:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    try:
        roots.update(os.path.realpath(p) for p in site.getsitepackages())
    except AttributeError:  # some virtualenv layouts
        pass
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if user_site:
        roots.add(os.path.realpath(user_site))
    roots.add(os.path.realpath(sys.base_prefix))
    roots.add(os.path.realpath(sys.prefix))
    return tuple(sorted(roots))


_ALWAYS_BY_REFERENCE = ("covalent", "covalent_", "cloudpickle", "_pytest", "pytest")


_classified: dict[str, bool] = {}


def is_installed_module(module: ModuleType) -> bool:
    """True when workers can be expected to import ``module`` by name."""
    name = module.__name__
    known = _classified.get(name)
    if known is None:
        known = _classified[name] = _classify(module)
    return known


def _classify(module: ModuleType) -> bool:
    name = module.__name__
    if name == "__main__":
        return False
    top = name.partition(".")[0]
    if top in sys.builtin_module_names or top.startswith(_ALWAYS_BY_REFERENCE):
        return True
    path = getattr(module, "__file__", None)
    if not path:
        # Built-in, frozen or namespace package without a file: importable by name.
        return True
    real = os.path.realpath(path)
    return any(real.startswith(root + os.sep) for root in _installed_roots())


def by_value_modules() -> list[str]:
    """Names of the loaded modules that must travel by value (outermost ones only)."""
    names: set[str] = set()
    for name, module in sorted(list(sys.modules.items())):
        if module is None or name == "__main__" or not isinstance(module, ModuleType):
            continue
        if any(name.startswith(parent + ".") for parent in names):
            continue  # its package is registered already, which covers it
        if not is_installed_module(module):
            names.add(name)
    return sorted(names)


_registered: set[str] = set()
_scanned_size = 0


def _register_local_modules() -> None:
    global _scanned_size
    if len(sys.modules) == _scanned_size:
        return  # nothing new was imported since the last scan
    _scanned_size = len(sys.modules)
    for name in by_value_modules():
        if name in _registered:
            continue
        try:
            cloudpickle.register_pickle_by_value(sys.modules[name])
        except (ValueError, KeyError):
            continue
        _registered.add(name)


def register_by_value(module: ModuleType) -> None:
    """Pickle ``module`` by value from now on, even if it is installed (``ct.DepsModule``)."""
    with _lock:
        if module.__name__ not in _registered:
            cloudpickle.register_pickle_by_value(module)
            _registered.add(module.__name__)


@contextmanager
def _local_modules_by_value() -> Iterator[None]:
    with _lock:
        _register_local_modules()
        yield


#: Types the standard pickler writes exactly as cloudpickle does, without its set-up.
_ATOMS = frozenset({int, float, complex, str, bytes, bool, type(None)})


def dumps(obj: Any, *, what: str = "object") -> bytes:
    """cloudpickle ``obj``, pickling the user's own modules by value.

    ``what`` names the object in the error raised when it cannot be pickled.
    """
    if type(obj) in _ATOMS:  # the same bytes, a tenth of the time (most electron arguments)
        return pickle.dumps(obj, protocol=_PROTOCOL)
    try:
        with _local_modules_by_value():
            return cloudpickle.dumps(obj, protocol=_PROTOCOL)
    except CovalentError:
        raise
    except Exception as exc:
        raise SerializationError(f"{what} cannot be pickled: {type(exc).__name__}: {exc}") from exc


def loads(data: bytes, *, what: str = "object") -> Any:
    try:
        return pickle.loads(data)
    except Exception as exc:
        raise SerializationError(f"{what} cannot be unpickled here: {type(exc).__name__}: {exc}") from exc


def _code_parts(code: Any, out: list[str]) -> None:
    out.append(code.co_code.hex())
    out.append(repr(code.co_names))
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _code_parts(const, out)
        else:
            out.append(repr(const))


def code_fingerprint(func: Any) -> str | None:
    """A hash of what a function *does*: its bytecode, constants, names and defaults.

    Unlike the pickle of a function, it is the same in every process that
    defines the same code, so redispatch can tell changed code from unchanged.
    Returns None for callables that are not plain functions.
    """
    target = getattr(func, "_function", None) or getattr(func, "function", None) or func
    code = getattr(target, "__code__", None)
    if code is None:
        return None
    parts = [getattr(target, "__module__", "") or "", getattr(target, "__qualname__", "")]
    _code_parts(code, parts)
    parts.append(repr(getattr(target, "__defaults__", None)))
    parts.append(repr(sorted((getattr(target, "__kwdefaults__", None) or {}).items())))
    for cell in getattr(target, "__closure__", None) or ():
        try:
            parts.append(_value_fingerprint(cell.cell_contents))
        except ValueError:
            parts.append("<empty>")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _value_fingerprint(value: Any) -> str:
    """A process-independent identity of a value captured by a function."""
    nested = code_fingerprint(value) if callable(value) else None
    if nested is not None:
        return nested
    try:
        return blob_key(cloudpickle.dumps(value, protocol=_PROTOCOL))
    except Exception:
        return type(value).__qualname__
