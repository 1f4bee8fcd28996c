"""Fingerprints: what a node's output depends on, for reusing previous results.

A node's fingerprint hashes its function's *code* (not its pickle, which may
differ between processes), its hooks, and the fingerprints of everything it
takes as input, so an output is reused only when the node's code, its inputs
and everything upstream are unchanged.

They are kept as 32 bytes a node (:class:`Fingerprints`), read as hex text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from covalent.graph.compact import CompactGraph
from covalent.graph.transport_graph import TransportGraph

__all__ = ["Fingerprints", "fingerprints"]

_SIZE = 32
_encode = json.JSONEncoder().encode
_quote = encode_basestring_ascii  # how that encoder quotes a string
_HEX = re.compile(r"[0-9a-f]*")
#: Nodes with more inputs than this are hashed as their JSON is written (_wide_digest).
_WIDE = 1000


class Fingerprints:
    """Each node's fingerprint (hex) by node id, held as 32 bytes a node."""

    def __init__(self, count: int, position: Callable[[int], int]) -> None:
        """``position(node_id)``: where the node's 32 bytes are, from 0 to ``count - 1``."""
        self._position = position
        self._count = count
        self._digests = bytearray(_SIZE * count)

    def set(self, node_id: int, digest: bytes) -> None:
        i = self._position(node_id) * _SIZE
        self._digests[i : i + _SIZE] = digest

    def __getitem__(self, node_id: int) -> str:
        i = self._position(node_id) * _SIZE
        return self._digests[i : i + _SIZE].hex()

    def __len__(self) -> int:
        return self._count


def fingerprints(graph: TransportGraph) -> Fingerprints:
    if isinstance(graph, CompactGraph):
        return _compact_fingerprints(graph)
    order = graph.topological_order()
    index = {n: i for i, n in enumerate(order)}
    result = Fingerprints(len(order), index.__getitem__)
    for node_id in order:
        node = graph.node(node_id)
        if node["kind"] == "parameter":
            parts: list[Any] = ["parameter", node["value"]]
        else:
            inputs = [(e.source, e.arg_index, e.key, e.wait) for e in graph.in_edges(node_id)]
            parts = _task_parts(node, inputs, result)
        result.set(node_id, _digest(parts))
    return result


def _compact_fingerprints(graph: CompactGraph) -> Fingerprints:
    """The same fingerprints, read from the graph's columns, their JSON written by hand where it is plain.

    A task's JSON is ``[kind, code, hooks, [[name, input fingerprint], ...]]``
    (and its files): the first three are its shape's, encoded once per shape,
    the names are quoted as ``json`` quotes them and the fingerprints are hex.
    """
    order = graph.topological_order()
    result = Fingerprints(len(order), graph.position)
    sha256 = hashlib.sha256
    prefixes: dict[int, tuple[str, str]] = {}
    for node_id in order:
        shape = graph.shape(node_id)
        if shape["kind"] == "parameter":
            value = graph.value(node_id)
            text = f'["parameter", "{value}"]' if value is not None and _HEX.fullmatch(value) else None
            result.set(node_id, sha256((text or _encode(["parameter", value])).encode()).digest())
            continue
        ends = prefixes.get(id(shape))
        if ends is None:
            code = shape.get("code_hash") or shape.get("function")
            head = _encode([shape["kind"], code, shape.get("hooks_hash") or shape.get("hooks")])
            tail = f", {_encode(shape['files'])}]" if shape.get("files") else "]"
            ends = prefixes[id(shape)] = (head[:-1] + ", [", "]" + tail)
        edges = graph.in_edge_tuples(node_id)
        if len(edges) > _WIDE:
            result.set(node_id, _wide_digest(edges, ends, result))
            continue
        named = sorted(
            ("wait" if wait else (key if key is not None else f"#{arg_index}"), result[source])
            for source, arg_index, key, wait in edges
        )
        inputs = ", ".join(f'[{_quote(name)}, "{fingerprint}"]' for name, fingerprint in named)
        result.set(node_id, sha256((ends[0] + inputs + ends[1]).encode()).digest())
    return result


def _wide_digest(
    edges: list[tuple[int, int | None, str | None, bool]], ends: tuple[str, str], result: Fingerprints
) -> bytes:
    """The same digest for a node of many inputs (a map's gather), hashed as it is written.

    The inputs are sorted by name and source, their fingerprints' text made
    one at a time (where names repeat, as waits do, those sort by fingerprint
    as the plain form sorts them); neither the list of every input's text nor
    the whole JSON is held (a million inputs: ~400 MB before).
    """
    named = [
        ("wait" if wait else (key if key is not None else f"#{arg_index}"), source)
        for source, arg_index, key, wait in edges
    ]
    del edges
    named.sort()
    digest = hashlib.sha256(ends[0].encode())
    start = 0
    while start < len(named):
        end = start + 1
        while end < len(named) and named[end][0] == named[start][0]:
            end += 1
        fingerprints = sorted(result[source] for _, source in named[start:end])
        quoted = _quote(named[start][0])
        text = ", ".join(f'[{quoted}, "{fingerprint}"]' for fingerprint in fingerprints)
        digest.update(((", " if start else "") + text).encode())
        start = end
    digest.update(ends[1].encode())
    return digest.digest()


def _task_parts(
    node: dict[str, Any], inputs: list[tuple[int, int | None, str | None, bool]], result: Fingerprints
) -> list[Any]:
    """What a task node's fingerprint hashes: kind, code, hooks, each input's name and fingerprint, its files."""
    named = sorted(
        ("wait" if wait else (key if key is not None else f"#{arg_index}"), result[source])
        for source, arg_index, key, wait in inputs
    )
    parts = [
        node["kind"],
        node.get("code_hash") or node.get("function"),
        node.get("hooks_hash") or node.get("hooks"),
        named,
    ]
    if node.get("files"):  # what it moves is part of what it does
        parts.append(node["files"])
    return parts


def _digest(parts: list[Any]) -> bytes:
    return hashlib.sha256(_encode(parts).encode()).digest()
