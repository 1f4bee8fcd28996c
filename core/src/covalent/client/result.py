"""``Result``: everything the server recorded about one dispatch."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from covalent import status as _status
from covalent.graph.transport_graph import NOT_TASKS
from covalent.graph.transportable import TransportableObject
from covalent.status import TERMINAL, Status

if TYPE_CHECKING:
    from covalent.client.connection import Connection
    from covalent.client.recorded import RecordedGraph

__all__ = ["Result", "ResultOptions"]


def _time(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


@dataclass(frozen=True)
class ResultOptions:
    """What a :class:`Result` reads from the server (Covalent's ``get_result`` options).

    ``workflow_output``: the workflow's return value (``result``);
    ``intermediate_outputs``: each node's output; ``sublattice_results``: the
    results of sublattice dispatches.  Whatever is left out reads as None.
    """

    workflow_output: bool = True
    intermediate_outputs: bool = True
    sublattice_results: bool = True


class Result:
    """The outcome of a dispatch (complete or, during a run, partial).

    Node outputs and the workflow's inputs come as
    :class:`~covalent.graph.transportable.TransportableObject`: the values
    themselves for every purpose, with Covalent's ``get_deserialized()`` too.
    """

    # Covalent's status constants, as attributes of the class.
    NEW_OBJ = _status.NEW_OBJECT
    PENDING_REUSE = _status.PENDING_REUSE
    COMPLETED = _status.COMPLETED
    POSTPROCESSING = _status.POSTPROCESSING
    PENDING_POSTPROCESSING = _status.PENDING_POSTPROCESSING
    POSTPROCESSING_FAILED = _status.POSTPROCESSING_FAILED
    RUNNING = _status.RUNNING
    FAILED = _status.FAILED
    CANCELLED = _status.CANCELLED

    @classmethod
    def read(cls, conn: Connection, dispatch_id: str, options: ResultOptions | None = None) -> Result:
        """The dispatch as the server has it now: its summary and output, and its nodes while it runs."""
        from covalent.graph.bundle import read_bundle

        options = options or ResultOptions()
        summary = conn.get_json(f"/dispatches/{dispatch_id}")
        keys = [summary["output_key"]] if summary.get("output_key") and options.workflow_output else []
        blobs = {}
        if keys:
            blobs = read_bundle(conn.request("POST", "/blobs/fetch", json={"keys": keys}).content, aliases=True)
        # A running dispatch: read its nodes now, so summary and nodes are one snapshot.
        running = summary["status"] not in TERMINAL
        nodes = conn.get_json(f"/dispatches/{dispatch_id}/nodes")["nodes"] if running else None
        return cls(summary, nodes, blobs, conn.address, options)

    def __init__(
        self,
        summary: dict[str, Any],
        nodes: list[dict[str, Any]] | None,
        blobs: dict[str, bytes],
        address: str | None,
        options: ResultOptions | None = None,
    ) -> None:
        self._summary = summary
        self._node_rows = {int(n["node_id"]): n for n in nodes} if nodes is not None else None
        self._blobs = dict(blobs)
        self._address = address
        self._values: dict[str, Any] = {}
        self._options = options or ResultOptions()
        self._lattice: Any = None
        self._graph: RecordedGraph | None = None
        self._results_dir = ""

    # -- the dispatch -------------------------------------------------------
    @property
    def dispatch_id(self) -> str:
        return str(self._summary["dispatch_id"])

    @property
    def root_dispatch_id(self) -> str:
        return str(self._summary.get("root_dispatch_id") or self.dispatch_id)

    @property
    def status(self) -> Status:
        return Status(self._summary["status"])

    @property
    def error(self) -> str | None:
        """Why the dispatch failed (the failed tasks and the last line of the first traceback); None if nothing did."""
        return self._summary.get("error") or None

    @property
    def start_time(self) -> datetime | None:
        return _time(self._summary.get("started_at"))

    @property
    def end_time(self) -> datetime | None:
        return _time(self._summary.get("ended_at"))

    @property
    def name(self) -> str:
        return str(self._summary.get("name", ""))

    @property
    def result(self) -> Any:
        """The lattice's return value once COMPLETED, else None (and None when ``workflow_output=False``)."""
        key = self._summary.get("output_key")
        if self.status != Status.COMPLETED or not key or not self._options.workflow_output:
            return None
        return self._value(key)

    @property
    def encoded_result(self) -> TransportableObject | None:
        """The return value wrapped as Covalent's ``TransportableObject`` (None until there is one)."""
        key = self._summary.get("output_key")
        if self.status != Status.COMPLETED or not key or not self._options.workflow_output:
            return None
        return TransportableObject(self._value(key))

    @property
    def inputs(self) -> TransportableObject:
        """``{"args": (...), "kwargs": {...}}`` the workflow was dispatched with."""
        key = (self._summary.get("lattice") or {}).get("inputs")
        inputs = self._value(key) if key else {"args": (), "kwargs": {}}
        return TransportableObject({"args": tuple(inputs.get("args", ())), "kwargs": dict(inputs.get("kwargs", {}))})

    @property
    def lattice(self) -> Any:
        """The dispatched lattice; its ``transport_graph`` is the recorded graph (Covalent's view of every node)."""
        if self._lattice is None:
            key = (self._summary.get("lattice") or {}).get("function")
            if not key:
                return None
            lattice = pickle.loads(self._fetched(key))
            lattice.transport_graph = self.transport_graph
            self._lattice = lattice
        return self._lattice

    @property
    def transport_graph(self) -> RecordedGraph:
        """The graph as recorded: ``get_node_value(node_id, "status" | "output" | "stdout" | ...)``."""
        if self._graph is None:
            from covalent.client.recorded import RecordedGraph

            with self._connection() as conn:
                graph = conn.get_json(f"/dispatches/{self.dispatch_id}/manifest")["graph"]
            self._graph = RecordedGraph(graph, self)
        return self._graph

    @property
    def results_dir(self) -> str:
        """Where ``get_result(..., results_dir=...)`` wrote this result ("" when it was not written)."""
        return self._results_dir

    # -- nodes ------------------------------------------------------------
    @property
    def _nodes(self) -> dict[int, dict[str, Any]]:
        """Node records, fetched from the server on first use."""
        if self._node_rows is None:
            with self._connection() as conn:
                rows = conn.get_json(f"/dispatches/{self.dispatch_id}/nodes")["nodes"]
            self._node_rows = {int(n["node_id"]): n for n in rows}
        return self._node_rows

    def _value(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = pickle.loads(self._fetched(key))
        return self._values[key]

    def _fetched(self, key: str) -> bytes:
        """A blob's bytes, fetched from the server once."""
        if key not in self._blobs:
            self._fetch([key])
        return self._blobs[key]

    def _connection(self) -> Connection:
        from covalent.client.connection import Connection

        return Connection(self._address)

    def _fetch(self, keys: list[str]) -> None:
        from covalent.graph.bundle import read_bundle

        missing = [k for k in keys if k not in self._blobs]
        if not missing:
            return
        with self._connection() as conn:
            data = conn.request("POST", "/blobs/fetch", json={"keys": missing}).content
        self._blobs.update(read_bundle(data, aliases=True))

    def node_output(self, node_id: int) -> TransportableObject | None:
        """A completed node's output (None if it has none, or when ``intermediate_outputs=False``)."""
        node = self._nodes[node_id]
        key = node.get("output_key")
        if not key or node.get("status") != Status.COMPLETED or not self._options.intermediate_outputs:
            return None
        return TransportableObject(self._value(key))

    def sublattice_result(self, node_id: int) -> Result | None:
        """The result of a sublattice node's own dispatch (None when ``sublattice_results=False``)."""
        child = self._nodes[node_id].get("sublattice_dispatch_id")
        if not child or not self._options.sublattice_results:
            return None
        with self._connection() as conn:
            return Result.read(conn, child, self._options)

    def _node_dict(self, node: dict[str, Any]) -> dict[str, Any]:
        output = self.node_output(int(node["node_id"]))
        sub = self.sublattice_result(int(node["node_id"]))
        return {
            "node_id": int(node["node_id"]),
            "node_name": node["name"],
            "kind": node.get("kind"),
            "executor": node.get("executor"),
            "start_time": _time(node.get("start_time")),
            "end_time": _time(node.get("end_time")),
            "status": Status(node["status"]),
            "output": output,
            "error": node.get("error") or None,
            "stdout": node.get("stdout") or "",
            "stderr": node.get("stderr") or "",
            "attempts": node.get("attempts", 0),
            "transfers": node.get("transfers") or [],
            "sublattice_result": sub,
        }

    def get_node_result(self, node_id: int) -> dict[str, Any]:
        if node_id not in self._nodes:
            raise KeyError(f"dispatch {self.dispatch_id} has no node {node_id}")
        return self._node_dict(self._nodes[node_id])

    def _task_nodes(self) -> list[dict[str, Any]]:
        return [n for _, n in sorted(self._nodes.items()) if n.get("kind") not in NOT_TASKS]

    def get_all_node_results(self) -> list[dict[str, Any]]:
        nodes = self._task_nodes()
        if self._options.intermediate_outputs:
            self._fetch([n["output_key"] for n in nodes if n.get("output_key") and n["status"] == Status.COMPLETED])
        return [self._node_dict(n) for n in nodes]

    def get_all_node_outputs(self) -> dict[str, Any]:
        """``{"name(node_id)": output}`` for every task node, as Covalent keys them."""
        return {f"{r['node_name']}({r['node_id']})": r["output"] for r in self.get_all_node_results()}

    def node_counts(self) -> dict[str, int]:
        """Task nodes by status."""
        if self._node_rows is None and "node_counts" in self._summary:
            return dict(self._summary["node_counts"])
        counts: dict[str, int] = {}
        for node in self._task_nodes():
            counts[node["status"]] = counts.get(node["status"], 0) + 1
        return counts

    # -- display ----------------------------------------------------------
    def _rows(self) -> list[tuple[str, str]]:
        duration = ""
        if self.start_time and self.end_time:
            duration = f"{(self.end_time - self.start_time).total_seconds():.3f} s"
        rows = [
            ("Dispatch", self.dispatch_id),
            ("Lattice", self.name),
            ("Status", str(self.status)),
            ("Started", str(self.start_time or "")),
            ("Ended", str(self.end_time or "")),
            ("Duration", duration),
            ("Nodes", ", ".join(f"{k.lower()} {v}" for k, v in sorted(self.node_counts().items()))),
        ]
        if self.status == Status.COMPLETED:
            text = repr(self.result)
            rows.append(("Result", text if len(text) < 300 else text[:297] + "..."))
        error = (self.error or "").strip()
        if error:
            rows.append(("Error", error.splitlines()[-1]))
        return rows

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self._rows())
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in self._rows())

    def __repr__(self) -> str:
        return f"<Result {self.dispatch_id} {self.status}>"

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in self._rows()
        )
        return f"<table>{rows}</table>"

    def __getstate__(self) -> dict[str, Any]:
        # Fetch everything so a pickled Result works without the server.
        self.get_all_node_results()
        return self.__dict__.copy()
