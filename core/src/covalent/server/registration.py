"""Validating a manifest and turning it into the rows of a new dispatch."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine

from covalent.executor.registry import default_executor_name, executor_classes
from covalent.graph.compact import CompactGraph
from covalent.graph.manifest import referenced_blobs
from covalent.graph.manifest_schema import GraphChecker, ManifestError, validate_manifest, validated_lines
from covalent.graph.transport_graph import TransportGraph
from covalent.runtime.preview import PREVIEW_CHARS
from covalent.server.store.blobs import BlobStore
from covalent.server.store.fingerprints import Fingerprints, fingerprints
from covalent.server.store.models import NodeRecord, ReusableOutput
from covalent.server.store.records import (
    NewDispatch,
    clean_text,
    insert_node_rows,
    missing_node_rows,
    read_dispatch,
    reusable_outputs,
)
from covalent.server.store.writer import Writer
from covalent.status import Status

__all__ = [
    "GraphLines",
    "ManifestError",
    "NodeRows",
    "StoredManifest",
    "prepare_dispatch",
    "recorded_rows",
    "reusable_outputs",
    "write_missing_rows",
]


def _check_executors(graph: TransportGraph, default: str) -> None:
    installed = executor_classes()
    for node in graph.nodes():
        if node["kind"] == "parameter":
            continue
        spec = node.get("executor") or {}
        name = spec.get("name") if isinstance(spec, dict) else None
        name = name or default
        if name not in installed:
            from covalent.executor.registry import install_hint

            hint = install_hint(name)
            hint = f"; install it where the server runs: {hint}" if hint else ""
            raise ManifestError(
                f"node {node['id']} ({node['name']}) asks for executor {name!r}, which is not "
                f"installed on the server (installed: {', '.join(sorted(installed))}){hint}"
            )


def prepare_dispatch(
    conn: Connection | None,
    store: BlobStore,
    data: Any,
    blobs: Mapping[str, bytes],
    *,
    parent_dispatch_id: str | None = None,
    parent_node_id: int | None = None,
    root_dispatch_id: str = "",
    reuse: Mapping[str, ReusableOutput] | None = None,
    reuse_from: str | None = None,
    manifest_text: str | None = None,
    check_executors: bool = True,
    graph_lines: GraphLines | None = None,
) -> NewDispatch:
    """Check ``data`` (manifest JSON) and build the rows of a new dispatch.

    ``graph_lines``: the graph's nodes and edges sent apart as JSON lines (a
    large upload); ``data``'s graph is then empty, and each line is checked
    as it is read.

    ``conn`` is read only to find blobs the upload refers to but does not carry
    (``None``: a connection is opened if that is needed).  With
    ``check_executors=False`` a node naming an executor that is not installed
    is accepted; it fails, naming the executor, when it would run.
    """
    validate_manifest(data, graph_apart=graph_lines is not None)
    if graph_lines is not None:
        graph = _streamed_graph(data, graph_lines)
        pieces: StoredManifest | None = graph_lines.stored(data)
    else:
        pieces = None
        nodes, edges = data["graph"]["nodes"], data["graph"]["edges"]
        # The uploaded text is what gets stored: its parsed nodes are let go of as the graph takes them.
        consume = manifest_text is not None
        try:
            graph = CompactGraph.from_parts(_taken(nodes, consume), _taken(edges, consume))
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"manifest.graph is malformed: {exc}") from None
        if consume:
            data["graph"] = {"nodes": [], "edges": []}
    if not graph.is_acyclic():
        raise ManifestError("manifest.graph has a cycle")
    output_node = data["output"].get("node")
    if output_node is not None and output_node not in graph:
        raise ManifestError(f"manifest.output names node {output_node}, which does not exist")
    missing = _referenced_blobs(data, graph) - set(blobs)
    if missing:
        missing -= store.existing(conn, missing)
    if missing:
        raise ManifestError(
            f"manifest refers to {len(missing)} blob(s) that were not uploaded, e.g. {sorted(missing)[0]}"
        )
    default = default_executor_name()
    if check_executors:
        _check_executors(graph, default)
    dispatch_id = str(uuid.uuid4())
    rows = NodeRows(dispatch_id, graph, default, reuse or {})
    previews = _previews(data, graph)
    return NewDispatch(
        dispatch_id=dispatch_id,
        name=data["name"],
        manifest=data,
        node_rows=rows,
        blobs=dict(blobs),
        root_dispatch_id=root_dispatch_id,
        parent_dispatch_id=parent_dispatch_id,
        parent_node_id=parent_node_id,
        reuse_from=reuse_from,
        manifest_text=manifest_text,
        manifest_pieces=pieces,
        graph=graph,
        previews=previews,
    )


def _previews(data: dict[str, Any], graph: TransportGraph) -> dict[str, str]:
    """The SDK's text previews of the uploaded values (parameters, a constant output), by blob key."""
    found = {}
    for node in graph.nodes():
        preview = node.get("preview")
        if node["kind"] == "parameter" and isinstance(preview, str):
            found[node["value"]] = preview[:PREVIEW_CHARS]
    output = data["output"]
    if isinstance(output.get("value"), str) and isinstance(output.get("preview"), str):
        found[output["value"]] = output["preview"][:PREVIEW_CHARS]
    return found


@dataclass
class GraphLines:
    """A graph sent as JSON lines: one file of nodes, one of edges (read twice: checked, then stored)."""

    nodes: BinaryIO
    edges: BinaryIO
    #: By part, once its lines were all read: how many are not blank, and their bytes without the
    #: blanks around them (what :meth:`joined` writes), so the stored text's size needs no second read.
    measured: dict[str, tuple[int, int]] = field(default_factory=dict, init=False)

    def lines(self, part: str) -> Iterator[bytes]:
        file = self.nodes if part == "nodes" else self.edges
        file.seek(0)
        count = size = 0
        for line in file:
            length = len(line.strip())
            if length:
                count += 1
                size += length
            yield line
        self.measured[part] = (count, size)

    def joined_size(self, part: str) -> int | None:
        """How many bytes :meth:`joined` makes of the part, if its lines were all read (else None)."""
        if part not in self.measured:
            return None
        count, size = self.measured[part]
        return size + max(count - 1, 0)

    def stored_text(self, data: dict[str, Any]) -> str:
        """The manifest as one JSON text (what is stored and read back): ``data`` with these nodes and edges."""
        return b"".join(self.stored(data).pieces()).decode()

    def stored(self, data: dict[str, Any]) -> StoredManifest:
        """The same text in pieces, never whole (:class:`StoredManifest`)."""
        return StoredManifest(self, json.dumps({k: v for k, v in data.items() if k != "graph"}).encode())

    def joined(self, part: str) -> Iterator[bytes]:
        """The part's lines joined by commas, in pieces of about a MiB."""
        batch: list[bytes] = []
        size = 0
        first = True
        for line in self.lines(part):
            line = line.strip()
            if not line:
                continue
            if not first:
                batch.append(b",")
            batch.append(line)
            first = False
            size += len(line) + 1
            if size >= 1 << 20:
                yield b"".join(batch)
                batch, size = [], 0
        if batch:
            yield b"".join(batch)


@dataclass
class StoredManifest:
    """The manifest's text made from its head (every field but the graph) and the graph's lines."""

    lines: GraphLines
    rest: bytes

    def pieces(self) -> Iterator[bytes]:
        yield self._opening()
        yield from self.lines.joined("nodes")
        yield self._between
        yield from self.lines.joined("edges")
        yield self._closing

    _between = b'], "edges": ['
    _closing = b"]}}"

    def _opening(self) -> bytes:
        return self.rest[:-1] + b', "graph": {"nodes": ['

    def size(self) -> int:
        """The text's length in bytes (from what the check's reading measured; else by making it)."""
        nodes, edges = self.lines.joined_size("nodes"), self.lines.joined_size("edges")
        if nodes is None or edges is None:
            return sum(len(piece) for piece in self.pieces())
        return len(self._opening()) + nodes + len(self._between) + edges + len(self._closing)


def _streamed_graph(data: dict[str, Any], lines: GraphLines) -> CompactGraph:
    """The graph of ``lines``, each node and edge checked as it is read (``data``'s own graph must be empty)."""
    if data["graph"]["nodes"] or data["graph"]["edges"]:
        raise ManifestError("manifest is not valid: graph: its nodes and edges are sent as parts, so it must be empty")
    graph = CompactGraph()
    checker = GraphChecker()
    for index, node in validated_lines(lines.lines("nodes"), "nodes"):
        checker.node(index, node)
        if not checker.problems:
            graph.add_node_dict(node)
    for index, edge in validated_lines(lines.lines("edges"), "edges"):
        checker.edge(index, edge)
        if checker.full:
            break
        if not checker.problems:
            graph.add_edge_dict(edge)
    if checker.problems:
        raise ManifestError(
            "manifest is not valid: " + "; ".join(f"{where}: {problem}" for where, problem in checker.problems)
        )
    output = data["output"]
    if "node" in output and output["node"] not in graph:
        raise ManifestError(f"manifest is not valid: output.node: no node has id {output['node']}")
    return graph


def _taken(items: list[Any], consume: bool) -> Iterator[Any]:
    """The items of ``items``; with ``consume``, each is dropped from the list once taken (freed as it goes)."""
    for index in range(len(items)):
        item = items[index]
        if consume:
            items[index] = None
        yield item


def _referenced_blobs(data: dict[str, Any], graph: TransportGraph) -> set[str]:
    """Every blob key the manifest refers to (its graph read from ``graph``)."""
    return referenced_blobs({**data, "graph": {"nodes": graph.nodes(), "edges": []}})


class NodeRows:
    """The node rows of a new dispatch, each made when it is read: a million of them are never all in memory.

    The nodes' fingerprints are worked out when the rows are first read (a
    large upload's after it is answered), once, whichever thread reads first.
    """

    def __init__(
        self,
        dispatch_id: str,
        graph: TransportGraph,
        default: str,
        reuse: Mapping[str, ReusableOutput],
    ) -> None:
        self.dispatch_id = dispatch_id
        self.graph = graph
        self.default = default
        self.reuse = reuse
        self._prints: Fingerprints | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.graph)

    @property
    def prints(self) -> Fingerprints:
        with self._lock:
            if self._prints is None:
                self._prints = fingerprints(self.graph)
            return self._prints

    def __iter__(self) -> Iterator[NodeRecord]:
        prints, default, reuse, dispatch_id = self.prints, self.default, self.reuse, self.dispatch_id
        make = NodeRecord._make
        for node in self.graph.nodes():
            node_id = node["id"]
            fingerprint = prints[node_id]
            if node["kind"] == "parameter":
                status, executor, output_key = Status.COMPLETED, None, clean_text(node["value"])
                old = None
            else:
                spec = node.get("executor") or {}
                status, executor, output_key = Status.NEW_OBJECT, clean_text(spec.get("name") or default), None
                old = reuse.get(fingerprint) if reuse else None
            stdout = stderr = start_time = end_time = None
            if old is not None:
                # It ran nothing here: it starts when it ends (when its output was made).
                status, output_key, stdout, stderr = Status.COMPLETED, old.output_key, old.stdout, old.stderr
                start_time = end_time = old.end_time
            # The row as a tuple of the table's columns (NodeRecord): no dict per node, none copied to insert it.
            yield make(
                (
                    dispatch_id,
                    node_id,
                    clean_text(node["name"][:256]),
                    node["kind"],
                    status,
                    executor,
                    start_time,
                    end_time,
                    output_key,
                    None,  # error
                    stdout,
                    stderr,
                    0,  # attempts
                    None,  # job_handle
                    None,  # sublattice_dispatch_id
                    fingerprint,
                    None,  # transfers
                    None,  # submitted_at
                    None,  # worker
                    None,  # history
                )
            )


def recorded_rows(conn: Connection, dispatch_id: str) -> NodeRows | None:
    """A recorded dispatch's new node rows made again from its stored manifest, as its registration made them."""
    record = read_dispatch(conn, dispatch_id, with_manifest=True)
    if record is None or record.manifest is None:
        return None
    graph_json = record.manifest["graph"]
    graph = CompactGraph.from_parts(_taken(graph_json["nodes"], True), _taken(graph_json["edges"], True))
    reuse = reusable_outputs(conn, record.reuse_from) if record.reuse_from else {}
    return NodeRows(dispatch_id, graph, default_executor_name(), reuse)


async def write_missing_rows(engine: Engine, writer: Writer) -> list[str]:
    """Write the node rows of every dispatch recorded without them (the server stopped first).

    A large upload is answered once its dispatch and manifest are committed,
    and its rows are written after; this, at start-up before the dispatches
    are resumed, finishes what a stop or kill -9 interrupted.  Returns their ids.
    """

    def missing() -> list[str]:
        with engine.connect() as conn:
            return missing_node_rows(conn)

    def made(dispatch_id: str) -> NodeRows | None:
        with engine.connect() as conn:
            return recorded_rows(conn, dispatch_id)

    found = await asyncio.to_thread(missing)
    for dispatch_id in found:
        rows = await asyncio.to_thread(made, dispatch_id)
        if rows is not None:
            await writer.write(insert_node_rows(dispatch_id, rows))
    return found
