"""``RecordedGraph``: a dispatch's transport graph with what the server recorded for each node.

What ``result.lattice.transport_graph`` is.  Covalent code reads it with
``get_node_value(node_id, key)``; the keys and the shapes of their values are
Covalent's:

========================  ======================================================
``status``                a :class:`~covalent.status.Status`
``output``                a ``TransportableObject`` (None until completed)
``value``                 a parameter node's value, as a ``TransportableObject``
``function``              the task's function, as a ``TransportableObject``
``stdout``, ``stderr``    text ("" when there was none)
``error``                 the traceback of a failed node, else None
``start_time``            ``datetime`` (UTC) or None; ``end_time`` likewise
``sub_dispatch_id``       a sublattice node's own dispatch, else None
``sublattice_result``     that dispatch's ``Result``, else None
``metadata``              ``{"executor", "executor_data", "hooks"}``
``name``, ``kind``, ...   the graph's own attributes
========================  ======================================================

Values are read from the :class:`~covalent.client.result.Result` it belongs
to, so outputs and functions are fetched only when asked for.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from covalent.graph.transport_graph import TransportGraph
from covalent.graph.transportable import TransportableObject
from covalent.status import Status

if TYPE_CHECKING:
    from covalent.client.result import Result

__all__ = ["RecordedGraph"]


def _time(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


class RecordedGraph(TransportGraph):
    """The graph of a dispatch (from its manifest), answering with recorded node values."""

    def __init__(self, graph: dict[str, Any], result: Result) -> None:
        super().__init__()
        built = TransportGraph.from_dict(graph)
        for node in built.nodes():
            self._put_node(int(node["id"]), dict(node))
        for edge in built.edges():
            self.add_edge(edge)
        self._result = result
        self._readers: dict[str, Callable[[int], Any]] = {
            "status": self._status,
            "output": result.node_output,
            "value": self._value,
            "function": self._function,
            "stdout": lambda n: self._row(n).get("stdout") or "",
            "stderr": lambda n: self._row(n).get("stderr") or "",
            "error": lambda n: self._row(n).get("error") or None,
            "start_time": lambda n: _time(self._row(n).get("start_time")),
            "end_time": lambda n: _time(self._row(n).get("end_time")),
            "sub_dispatch_id": lambda n: self._row(n).get("sublattice_dispatch_id") or None,
            "sublattice_result": result.sublattice_result,
            "metadata": self._metadata,
            "task_group_id": lambda n: n,
        }

    def get_node_value(self, node_id: int, key: str) -> Any:
        if node_id not in self:
            raise KeyError(f"dispatch {self._result.dispatch_id} has no node {node_id}")
        reader = self._readers.get(key)
        if reader is not None:
            return reader(node_id)
        return super().get_node_value(node_id, key)

    def _row(self, node_id: int) -> dict[str, Any]:
        return self._result._nodes.get(node_id, {})

    def _status(self, node_id: int) -> Status:
        return Status(self._row(node_id).get("status") or Status.NEW_OBJECT)

    def _value(self, node_id: int) -> TransportableObject:
        key = self.node(node_id).get("value")
        if not key:
            raise KeyError(f"node {node_id} is not a parameter node; it has no 'value'")
        return TransportableObject(self._result._value(key))

    def _function(self, node_id: int) -> TransportableObject | None:
        key = self.node(node_id).get("function")
        return TransportableObject(self._result._value(key)) if key else None

    def _metadata(self, node_id: int) -> dict[str, Any]:
        from covalent._sdk.metadata import executor_metadata, hooks_metadata

        node = self.node(node_id)
        hooks = pickle.loads(self._result._fetched(node["hooks"])) if node.get("hooks") else None
        deps = (hooks.deps_bash, hooks.deps_pip, hooks.call_before, hooks.call_after) if hooks else ([], [], [], [])
        return {
            **(node.get("metadata") or {}),
            **executor_metadata(node.get("executor")),
            "hooks": hooks_metadata(*deps),
        }
