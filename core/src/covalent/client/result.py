"""``Result``: everything the server recorded about one dispatch."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from covalent.status import TERMINAL, Status

if TYPE_CHECKING:
    from covalent.client.connection import Connection

__all__ = ["Result"]


def _time(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


class Result:
    """The outcome of a dispatch (complete or, during a run, partial)."""

    @classmethod
    def read(cls, conn: Connection, dispatch_id: str) -> Result:
        """The dispatch as the server has it now: its summary and output, and its nodes while it runs."""
        from covalent.graph.bundle import read_bundle

        summary = conn.get_json(f"/dispatches/{dispatch_id}")
        keys = [summary["output_key"]] if summary.get("output_key") else []
        blobs = read_bundle(conn.request("POST", "/blobs/fetch", json={"keys": keys}).content) if keys else {}
        # A running dispatch: read its nodes now, so summary and nodes are one snapshot.
        running = summary["status"] not in TERMINAL
        nodes = conn.get_json(f"/dispatches/{dispatch_id}/nodes")["nodes"] if running else None
        return cls(summary, nodes, blobs, conn.address)

    def __init__(
        self, summary: dict[str, Any], nodes: list[dict[str, Any]] | None, blobs: dict[str, bytes], address: str | None
    ) -> None:
        self._summary = summary
        self._node_rows = {int(n["node_id"]): n for n in nodes} if nodes is not None else None
        self._blobs = dict(blobs)
        self._address = address
        self._values: dict[str, Any] = {}

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
    def error(self) -> str:
        return str(self._summary.get("error") or "")

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
        """The lattice's return value once COMPLETED, else None."""
        key = self._summary.get("output_key")
        if self.status != Status.COMPLETED or not key:
            return None
        return self._value(key)

    @property
    def inputs(self) -> dict[str, Any]:
        key = (self._summary.get("lattice") or {}).get("inputs")
        return self._value(key) if key else {"args": [], "kwargs": {}}

    @property
    def lattice(self) -> Any:
        key = (self._summary.get("lattice") or {}).get("function")
        return self._value(key) if key else None

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
            if key not in self._blobs:
                self._fetch([key])
            self._values[key] = pickle.loads(self._blobs[key])
        return self._values[key]

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
        self._blobs.update(read_bundle(data))

    def _node_dict(self, node: dict[str, Any]) -> dict[str, Any]:
        key = node.get("output_key")
        output = self._value(key) if key and node.get("status") == Status.COMPLETED else None
        sub = None
        if node.get("sublattice_dispatch_id"):
            with self._connection() as conn:
                sub = Result.read(conn, node["sublattice_dispatch_id"])
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
        return [n for _, n in sorted(self._nodes.items()) if n.get("kind") != "parameter"]

    def get_all_node_results(self) -> list[dict[str, Any]]:
        nodes = self._task_nodes()
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
        if self.error:
            rows.append(("Error", self.error.strip().splitlines()[-1] if self.error.strip() else ""))
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
