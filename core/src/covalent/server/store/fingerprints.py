"""Fingerprints: what a node's output depends on, for reusing previous results.

A node's fingerprint hashes its function's *code* (not its pickle, which may
differ between processes), its hooks, and the fingerprints of everything it
takes as input, so an output is reused only when the node's code, its inputs
and everything upstream are unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from covalent.graph.transport_graph import TransportGraph

__all__ = ["fingerprints"]


def fingerprints(graph: TransportGraph) -> dict[int, str]:
    result: dict[int, str] = {}
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        if node["kind"] == "parameter":
            parts: list[Any] = ["parameter", node["value"]]
        else:
            inputs = sorted(
                (
                    "wait" if e.wait else (e.key if e.key is not None else f"#{e.arg_index}"),
                    result[e.source],
                )
                for e in graph.in_edges(node_id)
            )
            parts = [
                node["kind"],
                node.get("code_hash") or node.get("function"),
                node.get("hooks_hash") or node.get("hooks"),
                inputs,
            ]
            if node.get("files"):  # what it moves is part of what it does
                parts.append(node["files"])
        result[node_id] = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    return result
