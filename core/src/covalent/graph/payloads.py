"""A job's payload from nodes of a graph (the dispatcher, local runs and the executor test harness share it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from covalent.graph.transport_graph import NodeKind, TransportGraph
from covalent.runtime.spec import JobSpec, NodeSpec, Ref
from covalent.runtime.transfer.spec import TransferSpec

__all__ = ["node_inputs", "pack_job"]


def node_inputs(graph: TransportGraph, node_id: int) -> tuple[list[int], dict[str, int]]:
    """The source node of each positional and keyword argument of ``node_id``."""
    positional: list[tuple[int, int]] = []
    keywords: dict[str, int] = {}
    for edge in graph.in_edges(node_id):
        if edge.wait:
            continue
        if edge.key is not None:
            keywords[edge.key] = edge.source
        else:
            positional.append((edge.arg_index or 0, edge.source))
    positional.sort()
    return [source for _, source in positional], keywords


def pack_job(
    dispatch_id: str,
    graph: TransportGraph,
    node_ids: Iterable[int],
    blob: Callable[[str], bytes],
    output_key: Callable[[int], str],
    *,
    files_handled_by: str = "",
    live_output: str = "",
    held: frozenset[str] | set[str] = frozenset(),
    hold_bytes: int | None = None,
    value_files: dict[str, str] | None = None,
) -> JobSpec:
    """A :class:`JobSpec` running ``node_ids`` (in the given, dependency-respecting order).

    ``blob(key)`` returns a blob's bytes; ``output_key(node)`` names the blob
    holding the output of a node outside the job.  ``files_handled_by``: the
    executor whose plugin moves the nodes' file transfers itself.
    ``live_output``: the folder the nodes mirror their stdout and stderr to while they run.
    ``held``: input keys the executor brings to the job itself (their bytes are left
    out); ``hold_bytes``: outputs at least this large stay with the executor;
    ``value_files``: input keys read from these files where the job runs.
    """
    order = list(node_ids)
    inside = set(order)
    functions: dict[str, bytes] = {}
    values: dict[str, bytes] = {}
    specs: list[NodeSpec] = []

    def ref(source: int) -> Ref:
        if source in inside:
            return Ref(node=source)
        attrs = graph.node(source)
        key = attrs["value"] if attrs["kind"] == NodeKind.PARAMETER else output_key(source)
        if key not in values and key not in held and not (value_files and key in value_files):
            values[key] = blob(key)
        return Ref(blob=key)

    for node_id in order:
        attrs: dict[str, Any] = graph.node(node_id)
        for name in ("function", "hooks"):
            key = attrs.get(name)
            if key and key not in functions:
                functions[key] = blob(key)
        files = [TransferSpec.from_json(item) for item in attrs.get("files") or ()]
        for transfer in files:
            if transfer.private and transfer.private not in functions:
                functions[transfer.private] = blob(transfer.private)
        positional, keywords = node_inputs(graph, node_id)
        specs.append(
            NodeSpec(
                node_id=node_id,
                name=attrs["name"],
                kind=attrs["kind"],
                function=attrs["function"],
                args=[ref(s) for s in positional],
                kwargs={k: ref(s) for k, s in keywords.items()},
                hooks=attrs.get("hooks"),
                time_limit=attrs.get("time_limit"),
                files=files,
                files_keyword=attrs.get("files_keyword", True),
                files_handled_by=files_handled_by if files else "",
            )
        )
    return JobSpec(
        dispatch_id=dispatch_id,
        nodes=specs,
        functions=functions,
        values=values,
        live_output=live_output,
        hold_bytes=hold_bytes,
        value_files=dict(value_files or {}),
    )
