"""Per-node state of a run in columns: a byte or eight a node instead of a dict entry (~40 bytes) each.

A run keeps, for every node, its status, attempts and how many inputs it
still waits for, when it was submitted, and the key of its output (a
digest's 32 bytes, not its 64-character text).  For a million-node dispatch
those dicts took more memory than the graph; these mappings answer the same
reads and writes (``run.status[n] = RUNNING``, ``.get``, ``.items()``) from
arrays indexed by the node's position in its :class:`CompactGraph`.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, MutableMapping
from typing import TypeVar

from covalent.graph.compact import CompactGraph
from covalent.status import Status

__all__ = ["FloatColumn", "IntColumn", "OutputKeys", "StatusColumn"]

_N = TypeVar("_N", int, float)


class StatusColumn(MutableMapping[int, str]):
    """Each node's status, one byte a node (0: none yet)."""

    def __init__(self, graph: CompactGraph) -> None:
        self._graph = graph
        self._codes = bytearray(len(graph))
        self._names: list[str] = ["", *Status]
        self._code_of: dict[str, int] = {str(s): i for i, s in enumerate(self._names) if i}

    def _code(self, value: str) -> int:
        code = self._code_of.get(value)
        if code is None:  # a status this version does not name: kept as it was read
            if len(self._names) >= 255:
                raise ValueError(f"too many distinct statuses to keep {value!r}")
            code = self._code_of[value] = len(self._names)
            self._names.append(value)
        return code

    def __getitem__(self, node_id: int) -> str:
        try:
            code = self._codes[self._graph.position(node_id)]
        except (KeyError, TypeError):
            raise KeyError(node_id) from None
        if not code:
            raise KeyError(node_id)
        return self._names[code]

    def get(self, node_id: int, default: str | None = None) -> str | None:  # type: ignore[override]
        try:
            code = self._codes[self._graph.position(node_id)]
        except (KeyError, TypeError):
            return default
        return self._names[code] if code else default

    def __setitem__(self, node_id: int, value: str) -> None:
        self._codes[self._graph.position(node_id)] = self._code(value)

    def __delitem__(self, node_id: int) -> None:
        if node_id not in self:
            raise KeyError(node_id)
        self._codes[self._graph.position(node_id)] = 0

    def __contains__(self, node_id: object) -> bool:
        return self.get(node_id) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:
        codes = self._codes
        for position, node_id in enumerate(self._graph.ids()):
            if codes[position]:
                yield node_id

    def __len__(self) -> int:
        return len(self._codes) - self._codes.count(0)

    def items(self) -> Iterator[tuple[int, str]]:  # type: ignore[override]
        codes, names = self._codes, self._names
        for position, node_id in enumerate(self._graph.ids()):
            if codes[position]:
                yield node_id, names[codes[position]]

    def values(self) -> Iterator[str]:  # type: ignore[override]
        names = self._names
        return (names[code] for code in self._codes if code)


_ABSENT = -(2**63)


class _NumberColumn(MutableMapping[int, _N]):
    """A number for each node, eight bytes a node (``absent`` marks a node without one)."""

    def __init__(self, graph: CompactGraph, typecode: str, absent: _N) -> None:
        self._graph = graph
        self._absent: _N = absent
        self._values: array[_N] = array(typecode, [absent]) * len(graph)

    def __getitem__(self, node_id: int) -> _N:
        try:
            value = self._values[self._graph.position(node_id)]
        except (KeyError, TypeError):
            raise KeyError(node_id) from None
        if value == self._absent:
            raise KeyError(node_id)
        return value  # type: ignore[no-any-return]

    def get(self, node_id: int, default: _N | None = None) -> _N | None:  # type: ignore[override]
        try:
            value = self._values[self._graph.position(node_id)]
        except (KeyError, TypeError):
            return default
        return default if value == self._absent else value  # type: ignore[no-any-return]

    def __setitem__(self, node_id: int, value: _N) -> None:
        self._values[self._graph.position(node_id)] = value

    def __delitem__(self, node_id: int) -> None:
        if node_id not in self:
            raise KeyError(node_id)
        self._values[self._graph.position(node_id)] = self._absent

    def __contains__(self, node_id: object) -> bool:
        return self.get(node_id) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:
        values, absent = self._values, self._absent
        for position, node_id in enumerate(self._graph.ids()):
            if values[position] != absent:
                yield node_id

    def __len__(self) -> int:
        return len(self._values) - self._values.count(self._absent)


class IntColumn(_NumberColumn[int]):
    """A whole number for each node, eight bytes a node."""

    def __init__(self, graph: CompactGraph) -> None:
        super().__init__(graph, "q", _ABSENT)


class FloatColumn(_NumberColumn[float]):
    """A float for each node (a time, say), eight bytes a node instead of a dict entry and a float object (~100)."""

    def __init__(self, graph: CompactGraph) -> None:
        super().__init__(graph, "d", -math.inf)


_KEY_BYTES = 32


class _Keys:
    """Output keys by node position: a digest's hex form as its 32 bytes (a str and a dict entry took ~200),
    any other key as it is."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._packed = bytearray()  # made at the first key: 32 bytes a node
        self._has = bytearray()
        self._odd: dict[int, str] = {}

    def get(self, position: int) -> str | None:
        if self._has and self._has[position]:
            return self._packed[position * _KEY_BYTES : (position + 1) * _KEY_BYTES].hex()
        return self._odd.get(position)

    def set(self, position: int, key: str) -> None:
        packed = _packed(key)
        if packed is None:
            self._odd[position] = key
            if self._has:
                self._has[position] = 0
            return
        if not self._has:
            self._packed, self._has = bytearray(_KEY_BYTES * self._size), bytearray(self._size)
        self._packed[position * _KEY_BYTES : (position + 1) * _KEY_BYTES] = packed
        self._has[position] = 1
        self._odd.pop(position, None)

    def pop(self, position: int) -> None:
        if self._has:
            self._has[position] = 0
        self._odd.pop(position, None)


def _packed(key: str) -> bytes | None:
    """The 32 bytes whose lowercase hex form ``key`` is, or None."""
    if len(key) != 2 * _KEY_BYTES:
        return None
    try:
        packed = bytes.fromhex(key)
    except ValueError:
        return None
    return packed if packed.hex() == key else None


class OutputKeys(MutableMapping[int, str]):
    """Each node's output key; a parameter's is its value's key, read from the graph rather than kept twice."""

    def __init__(self, graph: CompactGraph) -> None:
        self._graph = graph
        self._own = _Keys(len(graph))
        #: Parameters whose key was set apart from (or removed from) the graph's value.
        self._apart: set[int] = set()

    def _own_key(self, node_id: int) -> str | None:
        try:
            position = self._graph.position(node_id)
        except (KeyError, TypeError):
            return None
        return self._own.get(position)

    def _parameter_key(self, node_id: int) -> str | None:
        if node_id in self._apart or node_id not in self._graph or self._graph.kind(node_id) != "parameter":
            return None
        return self._graph.value(node_id)

    def __getitem__(self, node_id: int) -> str:
        key = self._own_key(node_id)
        if key is None:
            key = self._parameter_key(node_id)
        if key is None:
            raise KeyError(node_id)
        return key

    def _is_parameter(self, node_id: int) -> bool:
        return node_id in self._graph and self._graph.kind(node_id) == "parameter"

    def __setitem__(self, node_id: int, key: str) -> None:
        if self._own_key(node_id) is None and key == self._parameter_key(node_id):
            return
        self._own.set(self._graph.position(node_id), key)
        if self._is_parameter(node_id):
            self._apart.add(node_id)

    def __delitem__(self, node_id: int) -> None:
        if node_id not in self:
            raise KeyError(node_id)
        self._own.pop(self._graph.position(node_id))
        if self._is_parameter(node_id):
            self._apart.add(node_id)

    def __contains__(self, node_id: object) -> bool:
        return self._own_key(node_id) is not None or self._parameter_key(node_id) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:
        for node_id in self._graph.ids():
            if node_id in self:
                yield node_id

    def __len__(self) -> int:
        return sum(1 for _ in self)
