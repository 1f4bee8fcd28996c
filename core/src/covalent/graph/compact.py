"""The transport graph held in arrays: what the server keeps of a running dispatch.

:class:`~covalent.graph.transport_graph.TransportGraph` holds a dict per node
and an object per edge, several hundred bytes each: fine for a graph the SDK
is building, too much for a million-node map the server runs for hours.
:class:`CompactGraph` answers the same reads from columns:

* a node is a *shape* (its attributes but its id, value and preview, shared
  by every node that has the same ones: a map of one function has one shape
  for all its task nodes), the 32 bytes of its value's key (parameters), and
  its preview text;
* an edge is a few integers in arrays (positions of its ends, argument
  index, indexes of its parameter name and keyword in a table of strings),
  with the in- and out-edges of every node in compressed rows built once,
  when they are first read after a change.

``node(n)`` gives a fresh dict equal to the node's JSON; mutate it through
:meth:`set_node_attr`.  ``view(n)`` gives the typed, read-only
:class:`~covalent.graph.node_view.NodeView` of its shape (one per shape,
made once): what the dispatcher reads.  Nodes and edges can be fed one at a time
(:meth:`add_node_dict`, :meth:`add_edge_dict`), so a graph is built from a
stream without the whole JSON in memory.
"""

from __future__ import annotations

import heapq
import json
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from covalent.graph.node_view import NodeView
from covalent.graph.transport_graph import Edge, NodeKind, TransportGraph

__all__ = ["CompactGraph"]

_NO = -1
_KEY_BYTES = 32
_ZERO_KEY = bytes(_KEY_BYTES)
#: Node attributes held in their own columns, not in the shared shape.
_OWN = ("id", "value", "preview")


def _shape_key(attrs: dict[str, Any]) -> Any:
    """A hashable identity of a node's shared attributes."""
    try:
        key = tuple(attrs.items())
        hash(key)
        return key
    except TypeError:  # an executor, metadata or files: compared by their JSON
        return json.dumps(attrs, sort_keys=True, default=repr)


class CompactGraph(TransportGraph):
    """A :class:`TransportGraph` in arrays (see the module's text); the same reads, a fraction of the memory."""

    def __init__(self) -> None:
        super().__init__()
        self._count = 0
        #: Node id -> position, once ids are not 0, 1, 2, ... in order (None: the id is the position).
        self._pos: dict[int, int] | None = None
        self._ids = array("q")
        self._shape = array("i")
        self._shapes: list[dict[str, Any]] = []
        #: Each shape's view, made when first asked for.
        self._views: list[NodeView | None] = []
        self._shape_index: dict[Any, int] = {}
        #: The value keys of parameter nodes, 32 bytes per node, where ``_has_value`` says there is one
        #: (a value that is not a key's hex form is in ``_odd_values``).
        self._values = bytearray()
        self._has_value = bytearray()
        self._odd_values: dict[int, Any] = {}
        self._previews: list[str | None] = []
        self._src = array("q")
        self._dst = array("q")
        self._arg = array("q")
        self._param = array("i")
        self._key = array("i")
        self._wait = bytearray()
        self._strings: list[str] = []
        self._string_index: dict[str, int] = {}
        self._adjacency: tuple[array[int], array[int], array[int], array[int]] | None = None
        self._sorted_ids: list[int] | None = None

    # -- building ---------------------------------------------------------
    def _changed(self) -> None:
        self._order = None
        self._nx = None
        self._adjacency = None
        self._sorted_ids = None

    def _intern_shape(self, attrs: dict[str, Any]) -> int:
        key = _shape_key(attrs)
        index = self._shape_index.get(key)
        if index is None:
            index = self._shape_index[key] = len(self._shapes)
            self._shapes.append(attrs)
            self._views.append(None)
        return index

    def _string(self, text: str | None) -> int:
        if text is None:
            return _NO
        index = self._string_index.get(text)
        if index is None:
            index = self._string_index[text] = len(self._strings)
            self._strings.append(text)
        return index

    def add_node(self, kind: NodeKind, name: str, **attrs: Any) -> int:
        node_id = self._count
        while node_id in self:
            node_id += 1
        self._put_node(node_id, {"id": node_id, "kind": str(kind), "name": name, **attrs})
        return node_id

    def add_node_dict(self, node: dict[str, Any]) -> None:
        """Add a node from its JSON form (``id`` included)."""
        self._put_node(int(node["id"]), node)

    def _put_node(self, node_id: int, attrs: dict[str, Any]) -> None:
        position = self._count
        if self._pos is None:
            if node_id != position:
                if node_id in self:
                    raise ValueError(f"node {node_id} exists already")
                self._pos = {int(n): p for p, n in enumerate(self._ids)}
                self._pos[node_id] = position
        elif node_id in self._pos:
            raise ValueError(f"node {node_id} exists already")
        else:
            self._pos[node_id] = position
        self._ids.append(node_id)
        shared = {k: v for k, v in attrs.items() if k not in _OWN}
        try:
            self._shape.append(self._shape_index[tuple(shared.items())])
        except (KeyError, TypeError):
            self._shape.append(self._intern_shape(shared))
        value = attrs.get("value")
        if value is None:
            self._values += _ZERO_KEY
            self._has_value.append(0)
        else:
            try:
                packed = bytes.fromhex(value) if len(value) == 2 * _KEY_BYTES else b""
            except (TypeError, ValueError):
                packed = b""
            if len(packed) == _KEY_BYTES and packed.hex() == value:
                self._values += packed
                self._has_value.append(1)
            else:
                self._odd_values[position] = value
                self._values += _ZERO_KEY
                self._has_value.append(0)
        self._previews.append(attrs.get("preview", _ABSENT))
        self._count += 1
        self._changed()

    def position(self, node_id: int) -> int:
        """Where the node is in the columns (0 to ``len(self) - 1``); KeyError if there is no such node."""
        if self._pos is None:
            if type(node_id) is int and 0 <= node_id < self._count:
                return node_id
            raise KeyError(node_id)
        return self._pos[node_id]

    def add_edge(self, edge: Edge) -> None:
        try:
            source, target = self.position(edge.source), self.position(edge.target)
        except KeyError:
            raise KeyError(f"edge {edge} names a node that does not exist") from None
        self._src.append(source)
        self._dst.append(target)
        self._arg.append(_NO if edge.arg_index is None else edge.arg_index)
        self._param.append(self._string(edge.param))
        self._key.append(self._string(edge.key))
        self._wait.append(1 if edge.wait else 0)
        self._changed()

    def add_edge_dict(self, edge: dict[str, Any]) -> None:
        """Add an edge from its JSON form (what :meth:`add_edge` of ``Edge.from_dict(edge)`` does, faster)."""
        try:
            source, target = self.position(edge["source"]), self.position(edge["target"])
        except KeyError:
            raise KeyError(f"edge {edge} names a node that does not exist") from None
        arg, key = edge.get("arg_index"), edge.get("key")
        self._src.append(source)
        self._dst.append(target)
        self._arg.append(_NO if arg is None else arg)
        self._param.append(self._string(str(edge.get("param", ""))))
        self._key.append(_NO if key is None else self._string(key))
        self._wait.append(1 if edge.get("wait") else 0)
        if self._adjacency is not None or self._order is not None or self._nx is not None:
            self._changed()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompactGraph:
        return cls.from_parts(data["nodes"], data["edges"])

    @classmethod
    def from_parts(cls, nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]]) -> CompactGraph:
        """A graph from its nodes' and edges' JSON forms, taken one at a time (iterators are fine)."""
        graph = cls()
        for node in nodes:
            graph.add_node_dict(node)
        for edge in edges:
            graph.add_edge_dict(edge)
        return graph

    @classmethod
    def of(cls, graph: TransportGraph) -> CompactGraph:
        """The same graph, compact."""
        if isinstance(graph, CompactGraph):
            return graph
        return cls.from_parts(graph.nodes(), (e.to_dict() for e in graph.edges()))

    def set_node_attr(self, node_id: int, key: str, value: Any) -> None:
        position = self.position(node_id)
        if key == "id":
            raise ValueError("a node's id cannot change")
        if key in _OWN:
            if key == "preview":
                self._previews[position] = value
            else:
                self._odd_values[position] = value
                self._has_value[position] = 0
        else:
            self._shape[position] = self._intern_shape({**self._shapes[self._shape[position]], key: value})
        self._nx = None

    # -- reading ----------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    def __contains__(self, node_id: object) -> bool:
        if self._pos is None:
            return type(node_id) is int and 0 <= node_id < self._count
        return node_id in self._pos

    def _node_at(self, position: int) -> dict[str, Any]:
        node: dict[str, Any] = {"id": self._ids[position], **self._shapes[self._shape[position]]}
        if self._has_value[position]:
            node["value"] = self._values[position * _KEY_BYTES : (position + 1) * _KEY_BYTES].hex()
        elif position in self._odd_values:
            node["value"] = self._odd_values[position]
        preview = self._previews[position]
        if preview is not _ABSENT:
            node["preview"] = preview
        return node

    def node(self, node_id: int) -> dict[str, Any]:
        return self._node_at(self.position(node_id))

    def ids(self) -> Sequence[int]:
        """The node ids in the order of their positions."""
        return self._ids

    def value(self, node_id: int) -> str | None:
        """A node's value key (a parameter's), without building its dict."""
        position = self.position(node_id)
        if self._has_value[position]:
            return self._values[position * _KEY_BYTES : (position + 1) * _KEY_BYTES].hex()
        odd = self._odd_values.get(position)
        return odd if isinstance(odd, str) else None

    def kind(self, node_id: int) -> str:
        """A node's kind, without building its dict."""
        return str(self._shapes[self._shape[self.position(node_id)]]["kind"])

    def _order_of_ids(self) -> Sequence[int]:
        if self._pos is None:
            return range(self._count)
        if self._sorted_ids is None:
            self._sorted_ids = sorted(self._ids)
        return self._sorted_ids

    def node_ids(self) -> Sequence[int]:
        return self._order_of_ids()

    def nodes(self) -> Iterator[dict[str, Any]]:
        for node_id in self._order_of_ids():
            yield self.node(node_id)

    def _edge(self, index: int) -> Edge:
        arg, key = self._arg[index], self._key[index]
        return Edge(
            self._ids[self._src[index]],
            self._ids[self._dst[index]],
            self._strings[self._param[index]] if self._param[index] != _NO else "",
            arg_index=None if arg == _NO else arg,
            key=None if key == _NO else self._strings[key],
            wait=bool(self._wait[index]),
        )

    def edges(self) -> Iterator[Edge]:
        for index in range(len(self._src)):
            yield self._edge(index)

    def _rows(self) -> tuple[array[int], array[int], array[int], array[int]]:
        """(in starts, in edges, out starts, out edges): each node's edges, in the order they were added."""
        if self._adjacency is None:
            self._adjacency = (*_grouped(self._dst, self._count), *_grouped(self._src, self._count))
        return self._adjacency

    def _in_indexes(self, position: int) -> array[int]:
        starts, order, _, _ = self._rows()
        return order[starts[position] : starts[position + 1]]

    def _out_indexes(self, position: int) -> array[int]:
        _, _, starts, order = self._rows()
        return order[starts[position] : starts[position + 1]]

    def in_edge_tuples(self, node_id: int) -> list[tuple[int, int | None, str | None, bool]]:
        """``(source, arg_index, key, wait)`` of each edge into ``node_id``: :meth:`in_edges` without the objects."""
        ids, src, arg, key, wait, strings = self._ids, self._src, self._arg, self._key, self._wait, self._strings
        return [
            (
                ids[src[i]],
                None if arg[i] == _NO else arg[i],
                None if key[i] == _NO else strings[key[i]],
                bool(wait[i]),
            )
            for i in self._in_indexes(self.position(node_id))
        ]

    def view(self, node_id: int) -> NodeView:
        """A node's typed, read-only view (shared by the nodes of its shape)."""
        index = self._shape[self.position(node_id)]
        view = self._views[index]
        if view is None:
            view = self._views[index] = NodeView.of(self._shapes[index])
        return view

    def shape(self, node_id: int) -> dict[str, Any]:
        """A node's attributes but its id, value and preview: shared by nodes, read it, never change it."""
        return self._shapes[self._shape[self.position(node_id)]]

    def in_edges(self, node_id: int) -> list[Edge]:
        return [self._edge(i) for i in self._in_indexes(self.position(node_id))]

    def in_degree(self, node_id: int) -> int:
        starts = self._rows()[0]
        position = self.position(node_id)
        return starts[position + 1] - starts[position]

    def parents(self, node_id: int) -> list[int]:
        ids, src = self._ids, self._src
        return sorted({ids[src[i]] for i in self._in_indexes(self.position(node_id))})

    def children(self, node_id: int) -> list[int]:
        ids, dst = self._ids, self._dst
        return sorted({ids[dst[i]] for i in self._out_indexes(self.position(node_id))})

    #: At most this many edges against the columns' order are followed (else the whole order is made).
    _BACK_EDGES = 64

    def is_acyclic(self) -> bool:
        """Whether the graph has no cycle, mostly without ordering it (a registration asks before answering).

        A cycle must hold an edge from a later position to an earlier one whose
        source some edge enters (its positions cannot rise all the way round,
        and every node on it is entered).  The SDK adds a task's new inputs
        after it, so such edges are few (one a collection): the graph has a
        cycle exactly when one of them is closed by a path from its target back
        to its source.  Many of them: the topological order decides.
        """
        if self._order is not None:
            return True
        src, dst = self._src, self._dst
        entered = bytearray(self._count)
        for target in dst:
            entered[target] = 1
        back = [(s, t) for s, t in zip(src, dst, strict=True) if s >= t and entered[s]]
        if len(back) > self._BACK_EDGES:
            return super().is_acyclic()
        return not any(self._reaches(t, s) for s, t in back)

    def _reaches(self, start: int, goal: int) -> bool:
        """Whether a path of edges leads from position ``start`` to position ``goal``."""
        _, _, starts, order = self._rows()
        dst = self._dst
        seen = bytearray(self._count)
        stack = [start]
        seen[start] = 1
        while stack:
            position = stack.pop()
            if position == goal:
                return True
            for i in order[starts[position] : starts[position + 1]]:
                target = dst[i]
                if not seen[target]:
                    seen[target] = 1
                    stack.append(target)
        return False

    def topological_order(self) -> list[int]:
        if self._order is None:
            in_starts, in_order, out_starts, out_order = self._rows()
            src, dst, ids = self._src, self._dst, self._ids
            waiting = array("q", bytes(8 * self._count))
            for position in range(self._count):
                edges = in_order[in_starts[position] : in_starts[position + 1]]
                waiting[position] = len(edges) if len(edges) < 2 else len({src[i] for i in edges})
            ready = [ids[p] for p in range(self._count) if waiting[p] == 0]
            heapq.heapify(ready)
            order: list[int] = []
            position_of = self.position
            while ready:
                node_id = heapq.heappop(ready)
                order.append(node_id)
                position = position_of(node_id)
                edges = out_order[out_starts[position] : out_starts[position + 1]]
                targets = [dst[i] for i in edges] if len(edges) < 2 else list(dict.fromkeys(dst[i] for i in edges))
                for child in targets:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        heapq.heappush(ready, ids[child])
            if len(order) != self._count:
                raise ValueError("the graph has a cycle")
            self._order = order
        return list(self._order)

    def get_node_value(self, node_id: int, key: str) -> Any:
        return self.node(node_id)[key]

    @property
    def nx(self) -> Any:
        if self._nx is None:
            import networkx

            graph = networkx.MultiDiGraph()
            for node in self.nodes():
                graph.add_node(node["id"], **node)
            for edge in self.edges():
                graph.add_edge(edge.source, edge.target, edge=edge)
            self._nx = graph
        return self._nx

    def memory(self) -> int:
        """Bytes held by the columns (not the shapes and strings), for tests and reports."""
        columns = (self._ids, self._shape, self._src, self._dst, self._arg, self._param, self._key)
        return sum(c.itemsize * len(c) for c in columns) + len(self._values) + len(self._has_value) + len(self._wait)


class _Absent:
    """A node without a preview (None is a preview's value: the node's JSON says null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _grouped(ends: array[int], count: int) -> tuple[array[int], array[int]]:
    """Compressed rows: ``starts[p]:starts[p + 1]`` of ``order`` are the edges whose end is ``p``, in order."""
    starts = array("q", bytes(8 * (count + 1)))
    for end in ends:
        starts[end + 1] += 1
    for p in range(count):
        starts[p + 1] += starts[p]
    fill = array("q", starts[:-1])
    order = array("q", bytes(8 * len(ends)))
    for index, end in enumerate(ends):
        order[fill[end]] = index
        fill[end] += 1
    return starts, order
