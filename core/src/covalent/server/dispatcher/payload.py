"""Building a job's payload: on the event loop when it is small and in memory, else in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from covalent.graph.payloads import job_payload
from covalent.graph.transport_graph import TransportGraph
from covalent.limits import LIMITS

__all__ = ["build_payload"]

#: Jobs up to this many nodes, inputs and bytes of inputs, all in memory, are built on the event loop.
INLINE_NODES = LIMITS.inline_payload_nodes
INLINE_INPUTS = LIMITS.inline_payload_inputs
INLINE_BYTES = LIMITS.inline_payload_bytes


class _NotInMemory(Exception):
    """A blob the job needs is not in memory, or the job is too big to pack inline."""


async def build_payload(
    dispatch_id: str,
    graph: TransportGraph,
    node_ids: Sequence[int],
    output_key: Callable[[int], str],
    cached_blob: Callable[[str], bytes | None],
    blobs: Callable[[list[str]], Mapping[str, bytes]],
    *,
    files_handled_by: str = "",
    live_output: str = "",
    held: frozenset[str] | set[str] = frozenset(),
    hold_bytes: int | None = None,
    value_files: dict[str, str] | None = None,
) -> bytes:
    """The job's payload bytes.

    ``cached_blob(key)`` answers from memory only (None when it would have to
    read the store); ``blobs(keys)`` may read the store (once for a small
    job, once per :data:`~covalent.graph.payloads.VALUES_PER_READ` inputs for a
    big one, streamed into the payload), so it is only called in a worker
    thread.  A small job whose inputs are all in memory is packed right here:
    faster than the thread hop.
    """

    def build(get: Callable[[list[str]], Mapping[str, bytes]]) -> bytes:
        return job_payload(
            dispatch_id,
            graph,
            node_ids,
            output_key,
            get,
            files_handled_by=files_handled_by,
            held=held,
            hold_bytes=hold_bytes,
            live_output=live_output,
            value_files=value_files,
        )

    budget = INLINE_BYTES

    def in_memory(keys: list[str]) -> dict[str, bytes]:
        nonlocal budget
        found: dict[str, bytes] = {}
        for key in keys:
            data = cached_blob(key)
            if data is None or len(data) > budget:
                raise _NotInMemory(key)
            budget -= len(data)
            found[key] = data
        return found

    # Inputs counted first: a gather of a million inputs is not planned on the event loop only to
    # find its first input's bytes are not in memory (and then planned again in the thread).
    if len(node_ids) <= INLINE_NODES and sum(graph.in_degree(n) for n in node_ids) <= INLINE_INPUTS:
        try:
            return build(in_memory)
        except _NotInMemory:
            pass
    return await asyncio.to_thread(build, blobs)
