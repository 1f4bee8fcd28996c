"""The transport graph: tasks and parameters as nodes, data flow as edges.

Node ids are integers handed out in build order, so building the same
lattice with the same arguments always gives the same ids.  Every edge says
how the source's value reaches the target: as positional argument
``arg_index``, as keyword ``key``, or only as an ordering constraint
(``wait``, from ``ct.wait``).
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx
    import networkx as nx


__all__ = ["NOT_TASKS", "Edge", "NodeKind", "TransportGraph"]


class NodeKind(StrEnum):
    ELECTRON = "electron"
    PARAMETER = "parameter"
    SUBLATTICE = "sublattice"
    COLLECTION = "collection"
    OPERATION = "operation"
    #: The workflow's return value (Covalent's postprocessing node): it takes its one input's output.
    POSTPROCESS = "postprocess"

    @property
    def runs(self) -> bool:
        """Whether nodes of this kind execute a function."""
        return self not in (NodeKind.PARAMETER, NodeKind.POSTPROCESS)


#: Kinds that are not the workflow's tasks (left out of task counts and progress).
NOT_TASKS = frozenset({str(NodeKind.PARAMETER), str(NodeKind.POSTPROCESS)})


@dataclass(frozen=True)
class Edge:
    source: int
    target: int
    param: str
    arg_index: int | None = None
    key: str | None = None
    wait: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: unset fields are left out (what ``asdict`` would give, without its deep copy)."""
        data: dict[str, Any] = {"source": self.source, "target": self.target, "param": self.param}
        if self.arg_index is not None:
            data["arg_index"] = self.arg_index
        if self.key is not None:
            data["key"] = self.key
        if self.wait:
            data["wait"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edge:
        return cls(
            source=int(data["source"]),
            target=int(data["target"]),
            param=sys.intern(str(data.get("param", ""))),
            arg_index=data.get("arg_index"),
            key=data.get("key"),
            wait=bool(data.get("wait", False)),
        )


class TransportGraph:
    """A DAG of nodes (dicts of JSON-safe attributes) and :class:`Edge` s.

    Held as plain dicts and lists (the dispatcher reads parents, children and
    inputs of every node it runs); :attr:`nx` gives the same graph as a
    networkx ``MultiDiGraph`` for analysis and drawing.
    """

    def __init__(self) -> None:
        self._nodes: dict[int, dict[str, Any]] = {}
        self._edges: list[Edge] = []
        self._in: dict[int, list[Edge]] = {}
        self._out: dict[int, list[Edge]] = {}
        self._order: list[int] | None = None  # topological order, until the graph changes
        self._nx: nx.MultiDiGraph | None = None  # the networkx view, until the graph changes

    def _changed(self) -> None:
        self._order = None
        self._nx = None

    # -- building ---------------------------------------------------------
    def add_node(self, kind: NodeKind, name: str, **attrs: Any) -> int:
        node_id = len(self._nodes)
        while node_id in self._nodes:  # a graph read from JSON may skip ids
            node_id += 1
        self._put_node(node_id, {"id": node_id, "kind": str(kind), "name": name, **attrs})
        return node_id

    def _put_node(self, node_id: int, attrs: dict[str, Any]) -> None:
        self._nodes[node_id] = attrs
        self._in[node_id] = []
        self._out[node_id] = []
        self._changed()

    def add_edge(self, edge: Edge) -> None:
        if edge.source not in self._nodes or edge.target not in self._nodes:
            raise KeyError(f"edge {edge} names a node that does not exist")
        self._edges.append(edge)
        self._in[edge.target].append(edge)
        self._out[edge.source].append(edge)
        self._changed()

    # -- reading ----------------------------------------------------------
    @property
    def nx(self) -> nx.MultiDiGraph:
        """The graph as a networkx ``MultiDiGraph`` (edges carry ``edge=``); read it, do not mutate it."""
        if self._nx is None:
            import networkx  # loaded on first use: the server starts without it

            graph = networkx.MultiDiGraph()
            for node_id in sorted(self._nodes):
                graph.add_node(node_id, **self._nodes[node_id])
            for edge in self._edges:
                graph.add_edge(edge.source, edge.target, edge=edge)
            self._nx = graph
        return self._nx

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def node(self, node_id: int) -> dict[str, Any]:
        return self._nodes[node_id]

    def node_ids(self) -> Sequence[int]:
        """Every node's id, in order."""
        return sorted(self._nodes)

    def kind(self, node_id: int) -> str:
        """A node's kind."""
        return str(self._nodes[node_id]["kind"])

    def nodes(self) -> Iterator[dict[str, Any]]:
        for node_id in sorted(self._nodes):
            yield self._nodes[node_id]

    def edges(self) -> Iterator[Edge]:
        yield from self._edges

    def in_edges(self, node_id: int) -> list[Edge]:
        return list(self._in[node_id])

    def in_edge_tuples(self, node_id: int) -> list[tuple[int, int | None, str | None, bool]]:
        """``(source, arg_index, key, wait)`` of each edge into ``node_id``."""
        return [(e.source, e.arg_index, e.key, e.wait) for e in self._in[node_id]]

    def in_degree(self, node_id: int) -> int:
        """How many edges end at ``node_id``."""
        return len(self._in[node_id])

    def parents(self, node_id: int) -> list[int]:
        return sorted({e.source for e in self._in[node_id]})

    def children(self, node_id: int) -> list[int]:
        return sorted({e.target for e in self._out[node_id]})

    def topological_order(self) -> list[int]:
        """Nodes in dependency order, lowest id first among equals (computed once per graph).

        The order of ``networkx.lexicographical_topological_sort``.  Raises
        :class:`ValueError` if the graph has a cycle.
        """
        if self._order is None:
            waiting = {n: len({e.source for e in edges}) for n, edges in self._in.items()}
            ready = [n for n, count in waiting.items() if count == 0]
            heapq.heapify(ready)
            order: list[int] = []
            while ready:
                n = heapq.heappop(ready)
                order.append(n)
                for child in {e.target for e in self._out[n]}:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        heapq.heappush(ready, child)
            if len(order) != len(waiting):
                raise ValueError("the graph has a cycle")
            self._order = order
        return list(self._order)

    def is_acyclic(self) -> bool:
        try:
            self.topological_order()
        except ValueError:
            return False
        return True

    def set_node_attr(self, node_id: int, key: str, value: Any) -> None:
        self._nodes[node_id][key] = value
        self._nx = None

    # -- Covalent's names for reading the graph (``_TransportGraph``) --------------
    @property
    def _graph(self) -> networkx.MultiDiGraph:
        """The networkx graph (Covalent's attribute); the same as :attr:`nx`."""
        return self.nx

    def get_node_value(self, node_id: int, key: str) -> Any:
        """One attribute of a node (KeyError if the node or the attribute does not exist)."""
        return self._nodes[node_id][key]

    def set_node_value(self, node_id: int, key: str, value: Any) -> None:
        self.set_node_attr(node_id, key, value)

    def get_dependencies(self, node_id: int) -> list[int]:
        """The nodes ``node_id`` takes inputs from or waits for."""
        return self.parents(node_id)

    def get_edge_data(self, source: int, target: int) -> Any:
        """networkx's data of the edges from ``source`` to ``target`` (``{key: {"edge": Edge}}``)."""
        return self.nx.get_edge_data(source, target)

    def get_internal_graph_copy(self) -> networkx.MultiDiGraph:
        return self.nx.copy()

    # -- JSON form --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [dict(n) for n in self.nodes()],
            "edges": [e.to_dict() for e in self.edges()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransportGraph:
        graph = cls()
        for node in sorted(data["nodes"], key=lambda n: int(n["id"])):
            # Blob keys and names repeat across thousands of nodes: share one string each.
            attrs = {k: sys.intern(v) if isinstance(v, str) and len(v) <= 128 else v for k, v in node.items()}
            node_id = int(attrs.pop("id"))
            graph._put_node(node_id, {"id": node_id, **attrs})
        for edge in data["edges"]:
            graph.add_edge(Edge.from_dict(edge))
        return graph
