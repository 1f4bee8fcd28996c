"""Built-in node functions: collections and operations on electron outputs.

These run where the tasks run and are pickled by reference (this module is
installed wherever covalent is).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

__all__ = [
    "BINARY_OPERATORS",
    "UNARY_OPERATORS",
    "binary_op",
    "build_dict",
    "build_list",
    "build_tuple",
    "dict_from_items",
    "get_attr",
    "get_item",
    "identity",
    "unary_op",
]

BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "matmul": operator.matmul,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
}

UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": abs,
    "invert": operator.invert,
}


def build_list(*items: Any) -> list[Any]:
    return list(items)


def build_tuple(*items: Any) -> tuple[Any, ...]:
    return tuple(items)


def dict_from_items(*keys_and_values: Any) -> dict[Any, Any]:
    """A dict from its keys and values passed alternately (keys that are outputs too)."""
    return dict(zip(keys_and_values[::2], keys_and_values[1::2], strict=True))


def identity(value: Any) -> Any:
    """A workflow's return value, as its postprocessing node gives it."""
    return value


class build_dict:
    """Rebuild a dict whose values were passed positionally."""

    def __init__(self, keys: list[Any]) -> None:
        self.keys = keys

    def __call__(self, *values: Any) -> dict[Any, Any]:
        return dict(zip(self.keys, values, strict=True))


class get_item:
    def __init__(self, key: Any) -> None:
        self.key = key

    def __call__(self, obj: Any) -> Any:
        return obj[self.key]


class get_attr:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, obj: Any) -> Any:
        return getattr(obj, self.name)


class binary_op:
    def __init__(self, name: str, reflected: bool = False) -> None:
        self.name = name
        self.reflected = reflected

    def __call__(self, left: Any, right: Any) -> Any:
        func = BINARY_OPERATORS[self.name]
        return func(right, left) if self.reflected else func(left, right)


class unary_op:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, value: Any) -> Any:
        return UNARY_OPERATORS[self.name](value)
