"""Run a manifest in this process, without a server or an executor (tests, debugging)."""

from __future__ import annotations

import pickle
from typing import Any

from covalent.errors import TaskFailedError
from covalent.graph.manifest import Manifest
from covalent.graph.payloads import pack_job
from covalent.graph.serialize import blob_key
from covalent.graph.transport_graph import NodeKind
from covalent.runtime.execute import execute_job
from covalent.status import Status

__all__ = ["run_manifest"]


def run_manifest(manifest: Manifest) -> dict[str, Any]:
    """Run every node; return ``{"result": value, "outputs": {node_id: value}}``.

    Raises :class:`TaskFailedError` with the task's traceback if a node fails.
    """
    graph = manifest.graph
    blobs = dict(manifest.blobs)
    output_keys: dict[int, str] = {}
    outputs: dict[int, Any] = {}
    pending = [n for n in graph.topological_order() if graph.node(n)["kind"] != NodeKind.PARAMETER]
    while pending:
        runnable: list[int] = []
        chosen: set[int] = set()
        for node_id in pending:
            parents = [p for p in graph.parents(node_id) if graph.node(p)["kind"] != NodeKind.PARAMETER]
            if all(p in output_keys or p in chosen for p in parents):
                runnable.append(node_id)
                chosen.add(node_id)
        spec = pack_job("local", graph, runnable, blobs.__getitem__, output_keys.__getitem__)
        outcome = execute_job(spec)
        for node in outcome.nodes:
            if node.status != Status.COMPLETED:
                raise TaskFailedError(f"node {node.node_id} ({graph.node(node.node_id)['name']}) failed:\n{node.error}")
            if node.sublattice is not None:
                inner = run_manifest(Manifest.from_payload(node.sublattice))
                data = pickle.dumps(inner["result"])
            else:
                assert node.output is not None
                data = node.output
            key = blob_key(data)
            blobs[key] = data
            output_keys[node.node_id] = key
            outputs[node.node_id] = pickle.loads(data)
        done = set(output_keys)
        remaining = [n for n in pending if n not in done]
        if len(remaining) == len(pending):
            raise RuntimeError("no progress running the graph; it has a cycle or a bug")
        pending = remaining
    if "node" in manifest.output:
        result = outputs[manifest.output["node"]]
    else:
        result = pickle.loads(blobs[manifest.output["value"]])
    return {"result": result, "outputs": outputs}
