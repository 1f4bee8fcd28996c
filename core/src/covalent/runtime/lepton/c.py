"""Calling a C lepton: a function of a shared library, through ctypes, with the declared types.

Each ``argtypes`` entry is a ctypes type and a direction.  Inputs are taken
from the positional arguments in order; an INPUT is passed by value (a
pointer type given a scalar or a list passes its address or an array), an
OUTPUT gets a fresh value passed by address, an INPUT_OUTPUT its argument by
address.  The function's return value (when ``restype`` is declared) and
then every OUTPUT and INPUT_OUTPUT after the call are what the task returns:
one value alone, several as a tuple.  A value that does not fit its declared
type fails the node with the argument's position, type and value, instead
of being silently truncated as ctypes would.
"""

from __future__ import annotations

import ctypes
from typing import Any

from covalent.runtime.lepton.spec import Direction, LeptonError, LeptonSpec, ctypes_type

__all__ = ["call_c"]

_INTEGER_CODES = frozenset("bBhHiIlLqQ")


def _fits(kind: Any, value: Any) -> bool:
    """Whether ``kind(value)`` keeps the value (ctypes wraps integers around without a word)."""
    code = getattr(kind, "_type_", "")
    if isinstance(code, str) and code in _INTEGER_CODES and isinstance(value, int) and not isinstance(value, bool):
        return kind(value).value == value
    return True


def _scalar(kind: Any, value: Any, where: str) -> Any:
    if kind is ctypes.c_char_p and isinstance(value, str):
        value = value.encode()
    try:
        converted = kind(value)
    except (TypeError, ValueError) as exc:
        raise LeptonError(f"{where}: cannot pass {type(value).__name__} {value!r} as {kind.__name__} ({exc})") from None
    if not _fits(kind, value):
        raise LeptonError(f"{where}: {value!r} does not fit in {kind.__name__}")
    return converted


def _argument(kind: Any, direction: Direction, value: Any, where: str) -> Any:
    is_pointer = kind.__name__.startswith("LP_")
    if not is_pointer:
        if direction is not Direction.INPUT:
            raise LeptonError(
                f"{where}: an {direction.name} argument needs a pointer type, e.g. POINTER({kind.__name__})"
            )
        return _scalar(kind, value, where)
    base = kind._type_
    if direction is Direction.OUTPUT:
        return ctypes.pointer(base())
    if isinstance(value, list | tuple):
        items = [_scalar(base, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return (base * len(items))(*items)
    return ctypes.pointer(_scalar(base, value, where))


def _result(value: Any) -> Any:
    if isinstance(value, ctypes.Array):
        return list(value)
    if hasattr(value, "contents"):
        return value.contents.value
    return value


def _load(spec: LeptonSpec) -> Any:
    try:
        library = ctypes.CDLL(spec.library_name)
    except OSError as exc:
        raise LeptonError(
            f"C lepton {spec.name!r}: cannot load the shared library {spec.library_name!r}: {exc}"
        ) from None
    try:
        return getattr(library, spec.function_name)
    except AttributeError:
        raise LeptonError(
            f"C lepton {spec.name!r}: the library {spec.library_name!r} has no function {spec.function_name!r}"
        ) from None


def call_c(spec: LeptonSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call the function; its return value and outputs (one value, a tuple, or None)."""
    if kwargs:
        raise LeptonError(f"C lepton {spec.name!r} takes positional arguments only, got keywords {sorted(kwargs)}")
    types = [(ctypes_type(name), direction) for name, direction in spec.argtypes]
    wanted = sum(1 for _, d in types if d is not Direction.OUTPUT)
    if len(args) != wanted:
        raise LeptonError(
            f"C lepton {spec.name!r} takes {wanted} input argument(s) (its INPUT and INPUT_OUTPUT argtypes), "
            f"got {len(args)}"
        )
    function = _load(spec)
    remaining = iter(args)
    c_args = []
    for index, (kind, direction) in enumerate(types):
        value = None if direction is Direction.OUTPUT else next(remaining)
        c_args.append(_argument(kind, direction, value, f"argument {index} of {spec.function_name}"))
    function.argtypes = [kind for kind, _ in types]  # arrays pass where a pointer is declared
    function.restype = ctypes_type(spec.restype) if spec.restype else None
    try:
        returned = function(*c_args)
    except ctypes.ArgumentError as exc:
        raise LeptonError(f"C lepton {spec.name!r}: {exc}") from None
    results = [returned] if spec.restype else []
    results += [_result(a) for a, (_, d) in zip(c_args, types, strict=True) if d is not Direction.INPUT]
    if not results:
        return None
    return results[0] if len(results) == 1 else tuple(results)
