"""A job's payload from nodes of a graph (the dispatcher, local runs and the executor test harness share it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    blob: Callable[[str], bytes] | None,
    output_key: Callable[[int], str],
    *,
    blobs: Callable[[list[str]], Mapping[str, bytes]] | None = None,
    files_handled_by: str = "",
    live_output: str = "",
    held: frozenset[str] | set[str] = frozenset(),
    hold_bytes: int | None = None,
    value_files: dict[str, str] | None = None,
) -> JobSpec:
    """A :class:`JobSpec` running ``node_ids`` (in the given, dependency-respecting order).

    ``blob(key)`` returns a blob's bytes, or ``blobs(keys)`` those of many at
    once (one read of the store for a whole job); ``output_key(node)`` names the blob
    holding the output of a node outside the job.  ``files_handled_by``: the
    executor whose plugin moves the nodes' file transfers itself.
    ``live_output``: the folder the nodes mirror their stdout and stderr to while they run.
    ``held``: input keys the executor brings to the job itself (their bytes are left
    out); ``hold_bytes``: outputs at least this large stay with the executor;
    ``value_files``: input keys read from these files where the job runs.
    """
    order = list(node_ids)
    inside = set(order)
    # Keys first (in the order they are met), bytes after: one call of ``blobs`` per job.
    function_keys: dict[str, None] = {}
    value_keys: dict[str, None] = {}
    specs: list[NodeSpec] = []

    def ref(source: int) -> Ref:
        if source in inside:
            return Ref(node=source)
        # The kind alone (a gather of n inputs read no n node dicts): only a parameter's dict is needed.
        key = graph.node(source)["value"] if graph.kind(source) == NodeKind.PARAMETER else output_key(source)
        if key not in held and not (value_files and key in value_files):
            value_keys[key] = None
        return Ref(blob=key)

    for node_id in order:
        attrs: dict[str, Any] = graph.node(node_id)
        for name in ("function", "hooks"):
            key = attrs.get(name)
            if key:
                function_keys[key] = None
        files = [TransferSpec.from_json(item) for item in attrs.get("files") or ()]
        for transfer in files:
            if transfer.private:
                function_keys[transfer.private] = None
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
    if blobs is None:
        if blob is None:
            raise TypeError("pack_job needs blob or blobs")
        blobs = _one_by_one(blob)
    fetched = blobs([*function_keys, *value_keys])
    return JobSpec(
        dispatch_id=dispatch_id,
        nodes=specs,
        functions={key: fetched[key] for key in function_keys},
        values={key: fetched[key] for key in value_keys},
        live_output=live_output,
        hold_bytes=hold_bytes,
        value_files=dict(value_files or {}),
    )


def _one_by_one(blob: Callable[[str], bytes]) -> Callable[[list[str]], dict[str, bytes]]:
    def blobs(keys: list[str]) -> dict[str, bytes]:
        return {key: blob(key) for key in keys}

    return blobs
