"""A job's payload: pack_job's JobSpec, and job_payload's bytes of it with the values streamed from the store."""

from __future__ import annotations

import pickle

import cloudpickle
import pytest

from covalent.graph.compact import CompactGraph
from covalent.graph.payloads import VALUES_PER_READ, job_payload, pack_job
from covalent.graph.serialize import blob_key
from covalent.graph.transport_graph import Edge, NodeKind, TransportGraph
from covalent.runtime.execute import execute_payload
from covalent.runtime.spec import JobSpec, Ref
from covalent.server.store.blobs import BlobLostError
from covalent.status import Status


def _gather(n: int) -> tuple[TransportGraph, dict[int, str], dict[str, bytes], int, int]:
    """``total([noop(p_0), ..., noop(p_n-1)])`` with every noop done: (graph, output keys, blobs, list, total).

    A parameter feeds the list too (its key is its value's), and one output is
    met twice (the same key twice, read once).
    """
    graph = TransportGraph()
    blobs = {}

    def function(fn):
        data = cloudpickle.dumps(fn)
        blobs[blob_key(data)] = data
        return blob_key(data)

    noop = function(lambda x: x)
    output_keys: dict[int, str] = {}
    sources = []
    for i in range(n):
        task = graph.add_node(NodeKind.ELECTRON, "noop", function=noop)
        data = pickle.dumps(i * 3)
        output_keys[task] = blob_key(data)
        blobs[blob_key(data)] = data
        sources.append(task)
    value = pickle.dumps(-7)
    blobs[blob_key(value)] = value
    parameter = graph.add_node(NodeKind.PARAMETER, ":parameter:x", value=blob_key(value), preview="-7")
    sources += [parameter, sources[0]]
    gather = graph.add_node(NodeKind.COLLECTION, ":list:", function=function(lambda *xs: list(xs)))
    for index, source in enumerate(sources):
        graph.add_edge(Edge(source, gather, f"[{index}]", arg_index=index))
    total = graph.add_node(NodeKind.ELECTRON, "total", function=function(sum))
    graph.add_edge(Edge(gather, total, "values", arg_index=0))
    return graph, output_keys, blobs, gather, total


@pytest.mark.parametrize("compact", [False, True])
def test_a_big_gathers_streamed_payload_is_the_spec_pack_job_makes_and_runs_to_the_right_sum(compact):
    n = 3 * VALUES_PER_READ + 5
    graph, output_keys, blobs, gather, total = _gather(n)
    if compact:
        graph = CompactGraph.of(graph)
    reads: list[list[str]] = []

    def read(keys: list[str]) -> dict[str, bytes]:
        reads.append(list(keys))
        return {key: blobs[key] for key in keys}

    payload = job_payload("d", graph, [gather, total], output_keys.__getitem__, read)
    spec = pickle.loads(payload)
    expected = pack_job("d", graph, [gather, total], None, output_keys.__getitem__, blobs=read)
    assert isinstance(spec, JobSpec) and type(spec.values) is dict
    assert spec.values == expected.values and spec.functions == expected.functions
    assert [(node.node_id, node.args, node.kwargs) for node in spec.nodes] == [
        (node.node_id, node.args, node.kwargs) for node in expected.nodes
    ]
    assert spec.nodes[0].args[:2] == [Ref(blob=output_keys[0]), Ref(blob=output_keys[1])]
    assert len(spec.values) == n + 1  # every output once, and the parameter's value
    streamed = reads[: len(reads) - 1]  # the last read is pack_job's, of everything at once
    assert all(len(keys) <= VALUES_PER_READ + len(spec.functions) for keys in streamed) and len(streamed) == 4
    assert sorted(key for keys in streamed for key in keys) == sorted([*spec.values, *spec.functions])
    outcome = execute_payload(payload)
    assert [node.status for node in outcome.nodes] == [Status.COMPLETED, Status.COMPLETED]
    assert pickle.loads(outcome.nodes[-1].output) == 3 * n * (n - 1) // 2 - 7


def test_a_small_job_reads_its_functions_and_values_at_once():
    graph, output_keys, blobs, gather, total = _gather(3)
    reads: list[list[str]] = []

    def read(keys: list[str]) -> dict[str, bytes]:
        reads.append(list(keys))
        return {key: blobs[key] for key in keys}

    spec = pickle.loads(job_payload("d", graph, [gather, total], output_keys.__getitem__, read))
    assert len(reads) == 1 and set(reads[0]) == {*spec.values, *spec.functions}


def test_an_input_lost_while_the_values_stream_fails_the_payload():
    graph, output_keys, blobs, gather, total = _gather(2 * VALUES_PER_READ)
    lost = output_keys[VALUES_PER_READ + 3]

    def read(keys: list[str]) -> dict[str, bytes]:
        if lost in keys:
            raise BlobLostError(lost, "its worker went away")
        return {key: blobs[key] for key in keys}

    with pytest.raises(BlobLostError) as caught:
        job_payload("d", graph, [gather, total], output_keys.__getitem__, read)
    assert caught.value.key == lost


def test_held_and_file_inputs_are_left_out_of_the_values():
    graph, output_keys, blobs, gather, total = _gather(4)
    held, by_file = output_keys[1], output_keys[2]
    spec = pickle.loads(
        job_payload(
            "d",
            graph,
            [gather, total],
            output_keys.__getitem__,
            lambda keys: {key: blobs[key] for key in keys},
            held={held},
            value_files={by_file: "/somewhere/file"},
        )
    )
    assert held not in spec.values and by_file not in spec.values and output_keys[3] in spec.values
    assert spec.value_files == {by_file: "/somewhere/file"}


def test_a_ref_pickles_as_its_two_fields():
    for ref in (Ref(blob="k"), Ref(node=3), Ref()):
        assert pickle.loads(pickle.dumps(ref, protocol=pickle.HIGHEST_PROTOCOL)) == ref
    # A call with the two fields: about 12 bytes a reference besides its key (its state dict as a dataclass's: 20).
    assert len(pickle.dumps([Ref(blob=str(i)) for i in range(100)], protocol=pickle.HIGHEST_PROTOCOL)) < 100 * 14
