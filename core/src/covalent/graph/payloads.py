"""A job's payload from nodes of a graph (the dispatcher, local runs and the executor test harness share it)."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from covalent.graph.transport_graph import NodeKind, TransportGraph
from covalent.runtime.spec import JobSpec, NodeSpec, Ref
from covalent.runtime.transfer.spec import TransferSpec

__all__ = ["VALUES_PER_READ", "job_payload", "node_inputs", "pack_job"]

#: Input values :func:`job_payload` asks ``blobs`` for at once (the first read also takes the functions).
VALUES_PER_READ = 4096


def node_inputs(graph: TransportGraph, node_id: int) -> tuple[list[int], dict[str, int]]:
    """The source node of each positional and keyword argument of ``node_id``."""
    positional: list[tuple[int, int]] = []
    keywords: dict[str, int] = {}
    # Tuples, not Edge objects: a gather of a million inputs made a million of them.
    for source, arg_index, key, wait in graph.in_edge_tuples(node_id):
        if wait:
            continue
        if key is not None:
            keywords[key] = source
        else:
            positional.append((arg_index or 0, source))
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
    plan = _JobPlan(graph, node_ids, output_key, files_handled_by, held, value_files)
    if blobs is None:
        if blob is None:
            raise TypeError("pack_job needs blob or blobs")
        blobs = _one_by_one(blob)
    fetched = blobs([*plan.function_keys, *plan.value_keys])
    return plan.spec(
        dispatch_id,
        {key: fetched[key] for key in plan.function_keys},
        {key: fetched[key] for key in plan.value_keys},
        live_output,
        hold_bytes,
        value_files,
    )


def job_payload(
    dispatch_id: str,
    graph: TransportGraph,
    node_ids: Iterable[int],
    output_key: Callable[[int], str],
    blobs: Callable[[list[str]], Mapping[str, bytes]],
    *,
    files_handled_by: str = "",
    live_output: str = "",
    held: frozenset[str] | set[str] = frozenset(),
    hold_bytes: int | None = None,
    value_files: dict[str, str] | None = None,
) -> bytes:
    """``pack_job(...).to_bytes()`` (the same :class:`JobSpec` once unpickled), its input values streamed.

    The values are asked of ``blobs`` :data:`VALUES_PER_READ` at a time (the
    first read takes the functions too: a small job reads once) and pickled as
    they come: a gather of a million inputs never holds their bytes in a dict
    of its own, nor that dict twice (the read's and the spec's), and the
    pickle goes to its buffer a frame at a time.
    """
    plan = _JobPlan(graph, node_ids, output_key, files_handled_by, held, value_files)
    rest = iter(plan.value_keys)
    first = list(islice(rest, VALUES_PER_READ))
    found = blobs([*plan.function_keys, *first])
    functions = {key: found[key] for key in plan.function_keys}
    values = _ValuesAsRead(first, found, rest, blobs)
    del found
    spec = plan.spec(dispatch_id, functions, values, live_output, hold_bytes, value_files)
    out = io.BytesIO()
    pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(spec)
    return out.getvalue()


class _JobPlan:
    """The nodes of a job as :class:`NodeSpec` s, and the keys of the functions and values they need."""

    def __init__(
        self,
        graph: TransportGraph,
        node_ids: Iterable[int],
        output_key: Callable[[int], str],
        files_handled_by: str,
        held: frozenset[str] | set[str],
        value_files: dict[str, str] | None,
    ) -> None:
        order = list(node_ids)
        inside = set(order)
        # Keys in the order they are met (a dict as an ordered set); the bytes are read after.
        self.function_keys: dict[str, None] = {}
        self.value_keys: dict[str, None] = {}
        self.nodes: list[NodeSpec] = []
        function_keys, value_keys = self.function_keys, self.value_keys

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
            self.nodes.append(
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

    def spec(
        self,
        dispatch_id: str,
        functions: dict[str, bytes],
        values: dict[str, bytes],
        live_output: str,
        hold_bytes: int | None,
        value_files: dict[str, str] | None,
    ) -> JobSpec:
        return JobSpec(
            dispatch_id=dispatch_id,
            nodes=self.nodes,
            functions=functions,
            values=values,
            live_output=live_output,
            hold_bytes=hold_bytes,
            value_files=dict(value_files or {}),
        )


class _ValuesAsRead(dict[str, bytes]):
    """A job's values that pickle as the plain dict of them, read chunk by chunk while they are pickled.

    Empty itself (it lives only while :func:`job_payload` pickles it): the
    pickler, meeting a dict subclass, asks :meth:`__reduce_ex__`, which names
    ``dict`` and gives the items from an iterator, so the bytes of one chunk
    at a time are in hand (and in the pickler's memo).  Each item's key is the
    plan's own string, which the pickler has met in the nodes' references:
    written once, referred to after.
    """

    def __init__(
        self,
        first: list[str],
        found: Mapping[str, bytes],
        rest: Iterator[str],
        blobs: Callable[[list[str]], Mapping[str, bytes]],
    ) -> None:
        super().__init__()
        self._first: tuple[list[str], Mapping[str, bytes]] | None = (first, found)
        self._rest = rest
        self._blobs = blobs

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (dict, (), None, None, self._items())

    def _items(self) -> Iterator[tuple[str, bytes]]:
        assert self._first is not None, "the values are read once"
        chunk, found = self._first
        self._first = None
        while chunk:
            for key in chunk:
                yield key, found[key]
            chunk = list(islice(self._rest, VALUES_PER_READ))
            found = self._blobs(chunk) if chunk else {}


def _one_by_one(blob: Callable[[str], bytes]) -> Callable[[list[str]], dict[str, bytes]]:
    def blobs(keys: list[str]) -> dict[str, bytes]:
        return {key: blob(key) for key in keys}

    return blobs
