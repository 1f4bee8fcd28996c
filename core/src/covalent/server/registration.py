"""Validating a manifest and turning it into the rows of a new dispatch."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from covalent.executor.registry import default_executor_name, executor_classes
from covalent.graph.manifest import referenced_blobs
from covalent.graph.manifest_schema import ManifestError, validate_manifest
from covalent.graph.transport_graph import TransportGraph
from covalent.runtime.preview import PREVIEW_CHARS
from covalent.server.store.blobs import BlobStore
from covalent.server.store.fingerprints import fingerprints
from covalent.server.store.models import NodeRecord, ReusableOutput
from covalent.server.store.records import NewDispatch, clean_text, reusable_outputs
from covalent.status import Status

__all__ = ["ManifestError", "prepare_dispatch", "reusable_outputs"]


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
) -> NewDispatch:
    """Check ``data`` (manifest JSON) and build the rows of a new dispatch.

    ``conn`` is read only to find blobs the upload refers to but does not carry
    (``None``: a connection is opened if that is needed).  With
    ``check_executors=False`` a node naming an executor that is not installed
    is accepted; it fails, naming the executor, when it would run.
    """
    validate_manifest(data)
    try:
        graph = TransportGraph.from_dict(data["graph"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"manifest.graph is malformed: {exc}") from None
    if not graph.is_acyclic():
        raise ManifestError("manifest.graph has a cycle")
    output_node = data["output"].get("node")
    if output_node is not None and output_node not in graph:
        raise ManifestError(f"manifest.output names node {output_node}, which does not exist")
    missing = referenced_blobs(data) - set(blobs)
    if missing:
        missing -= store.existing(conn, missing)
    if missing:
        raise ManifestError(
            f"manifest refers to {len(missing)} blob(s) that were not uploaded, e.g. {sorted(missing)[0]}"
        )
    if manifest_text is not None:
        # The uploaded text is what gets stored; the parsed node list is no longer
        # needed now that the graph holds it (large dispatches: half the memory).
        data["graph"] = {"nodes": [], "edges": []}
    default = default_executor_name()
    if check_executors:
        _check_executors(graph, default)
    prints = fingerprints(graph)
    dispatch_id = str(uuid.uuid4())
    rows = []
    previews = _previews(data, graph)
    for node in graph.nodes():
        node_id = node["id"]
        fingerprint = prints[node_id]
        if node["kind"] == "parameter":
            status, executor, output_key = Status.COMPLETED, None, clean_text(node["value"])
            old = None
        else:
            spec = node.get("executor") or {}
            status, executor, output_key = Status.NEW_OBJECT, clean_text(spec.get("name") or default), None
            old = (reuse or {}).get(fingerprint)
        stdout = stderr = start_time = end_time = None
        if old is not None:
            # It ran nothing here: it starts when it ends (when its output was made).
            status, output_key, stdout, stderr = Status.COMPLETED, old.output_key, old.stdout, old.stderr
            start_time = end_time = old.end_time
        # The row as a tuple of the table's columns (NodeRecord): no dict per node, none copied to insert it.
        rows.append(
            NodeRecord._make(
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
        )
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
