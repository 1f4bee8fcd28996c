"""Per-node state of a run in columns: a byte or eight a node instead of a dict entry (~40 bytes) each.

A run keeps, for every node, its status, attempts and how many inputs it
still waits for, and the key of its output.  For a million-node dispatch
those dicts took more memory than the graph; these mappings answer the same
reads and writes (``run.status[n] = RUNNING``, ``.get``, ``.items()``) from
arrays indexed by the node's position in its :class:`CompactGraph`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, MutableMapping

from covalent.graph.compact import CompactGraph
from covalent.status import Status

__all__ = ["IntColumn", "OutputKeys", "StatusColumn"]


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


class IntColumn(MutableMapping[int, int]):
    """A number for each node, eight bytes a node."""

    def __init__(self, graph: CompactGraph) -> None:
        self._graph = graph
        self._values = array("q", [_ABSENT]) * len(graph)

    def __getitem__(self, node_id: int) -> int:
        try:
            value = self._values[self._graph.position(node_id)]
        except (KeyError, TypeError):
            raise KeyError(node_id) from None
        if value == _ABSENT:
            raise KeyError(node_id)
        return value

    def get(self, node_id: int, default: int | None = None) -> int | None:  # type: ignore[override]
        try:
            value = self._values[self._graph.position(node_id)]
        except (KeyError, TypeError):
            return default
        return default if value == _ABSENT else value

    def __setitem__(self, node_id: int, value: int) -> None:
        self._values[self._graph.position(node_id)] = value

    def __delitem__(self, node_id: int) -> None:
        if node_id not in self:
            raise KeyError(node_id)
        self._values[self._graph.position(node_id)] = _ABSENT

    def __contains__(self, node_id: object) -> bool:
        return self.get(node_id) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:
        values = self._values
        for position, node_id in enumerate(self._graph.ids()):
            if values[position] != _ABSENT:
                yield node_id

    def __len__(self) -> int:
        return len(self._values) - self._values.count(_ABSENT)


class OutputKeys(MutableMapping[int, str]):
    """Each node's output key; a parameter's is its value's key, read from the graph rather than kept twice."""

    def __init__(self, graph: CompactGraph) -> None:
        self._graph = graph
        self._own: dict[int, str] = {}
        #: Parameters whose key was set apart from (or removed from) the graph's value.
        self._apart: set[int] = set()

    def _parameter_key(self, node_id: int) -> str | None:
        if node_id in self._apart or node_id not in self._graph or self._graph.kind(node_id) != "parameter":
            return None
        return self._graph.value(node_id)

    def __getitem__(self, node_id: int) -> str:
        key = self._own.get(node_id)
        if key is None:
            key = self._parameter_key(node_id)
        if key is None:
            raise KeyError(node_id)
        return key

    def _is_parameter(self, node_id: int) -> bool:
        return node_id in self._graph and self._graph.kind(node_id) == "parameter"

    def __setitem__(self, node_id: int, key: str) -> None:
        if node_id not in self._own and key == self._parameter_key(node_id):
            return
        self._own[node_id] = key
        if self._is_parameter(node_id):
            self._apart.add(node_id)

    def __delitem__(self, node_id: int) -> None:
        if node_id not in self:
            raise KeyError(node_id)
        self._own.pop(node_id, None)
        if self._is_parameter(node_id):
            self._apart.add(node_id)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._own or self._parameter_key(node_id) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:
        for node_id in self._graph.ids():
            if node_id in self:
                yield node_id

    def __len__(self) -> int:
        return sum(1 for _ in self)
