"""CompactGraph: the same answers as TransportGraph, from arrays, in a bounded number of bytes per node."""

from __future__ import annotations

import random
import tracemalloc

import networkx
import pytest

from covalent.graph.compact import CompactGraph
from covalent.graph.transport_graph import Edge, NodeKind, TransportGraph


def _random_graph(rng: random.Random) -> TransportGraph:
    graph = TransportGraph()
    n = rng.randint(1, 40)
    for i in range(n):
        if rng.random() < 0.3:
            graph.add_node(NodeKind.PARAMETER, ":parameter:x", value=f"{rng.getrandbits(256):064x}", preview=str(i))
        else:
            executor = rng.choice([None, {"name": "dask"}, {"name": "local", "kwargs": {"a": [1, 2]}}])
            graph.add_node(NodeKind.ELECTRON, rng.choice(["a", "b"]), function="f" * 64, executor=executor, retries=0)
    rank = list(range(n))
    rng.shuffle(rank)
    for _ in range(rng.randint(0, 3 * n)):
        if n < 2:
            break
        a, b = sorted(rng.sample(range(n), 2))
        form = rng.choice([{"arg_index": rng.randint(0, 3)}, {"key": rng.choice(["k", "j"])}, {"wait": True}])
        graph.add_edge(Edge(rank[a], rank[b], rng.choice(["x", "[0]"]), **form))
    return graph


def _same(compact: TransportGraph, graph: TransportGraph) -> None:
    assert len(compact) == len(graph)
    assert list(compact.nodes()) == list(graph.nodes())
    assert list(compact.edges()) == list(graph.edges())
    assert compact.topological_order() == graph.topological_order()
    for node in graph.nodes():
        n = node["id"]
        assert n in compact
        assert compact.node(n) == node
        assert compact.in_edges(n) == graph.in_edges(n)
        assert compact.parents(n) == graph.parents(n)
        assert compact.children(n) == graph.children(n)


def test_answers_what_the_dict_graph_answers():
    rng = random.Random(11)
    for _ in range(200):
        graph = _random_graph(rng)
        _same(CompactGraph.of(graph), graph)
        _same(CompactGraph.from_dict(graph.to_dict()), TransportGraph.from_dict(graph.to_dict()))


def test_ids_out_of_order_or_with_gaps():
    data = {
        "nodes": [
            {"id": 7, "kind": "electron", "name": "b", "function": "f" * 64},
            {"id": 2, "kind": "parameter", "name": ":parameter:x", "value": "a" * 64, "preview": None},
            {"id": 40, "kind": "electron", "name": "c", "function": "f" * 64},
        ],
        "edges": [
            {"source": 2, "target": 7, "param": "x", "arg_index": 0},
            {"source": 7, "target": 40, "param": "y", "key": "y"},
        ],
    }
    compact, graph = CompactGraph.from_dict(data), TransportGraph.from_dict(data)
    _same(compact, graph)
    assert 3 not in compact and compact.node(2)["preview"] is None
    assert list(networkx.lexicographical_topological_sort(compact.nx)) == [2, 7, 40]
    with pytest.raises(KeyError):
        compact.node(3)
    with pytest.raises(KeyError):
        compact.add_edge(Edge(2, 3, "x", arg_index=0))


def test_a_cycle_is_refused_and_changes_are_seen():
    graph = CompactGraph()
    for _ in range(3):
        graph.add_node(NodeKind.ELECTRON, "task", function="f" * 64)
    graph.add_edge(Edge(2, 0, "x", arg_index=0))
    assert graph.topological_order() == [1, 2, 0]
    graph.set_node_attr(1, "retries", 3)
    assert graph.node(1)["retries"] == 3 and "retries" not in graph.node(0)
    graph.add_edge(Edge(0, 2, "y", arg_index=0))
    assert not graph.is_acyclic()


def test_a_node_that_does_not_keep_the_key_form_keeps_its_value():
    graph = CompactGraph()
    graph.add_node(NodeKind.PARAMETER, "p", value="ABC")
    graph.add_node(NodeKind.PARAMETER, "q", value="ab" * 32)
    assert graph.node(0)["value"] == "ABC" and graph.node(1)["value"] == "ab" * 32


def test_a_map_of_one_function_takes_few_bytes_per_node():
    """The nodes of a map share one shape: the graph grows by tens of bytes per node, not hundreds."""
    n = 20_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        graph = CompactGraph()
        for i in range(n):
            graph.add_node_dict(
                {"id": 2 * i, "kind": "electron", "name": "noop", "function": "f" * 64, "executor": None}
            )
            graph.add_node_dict(
                {"id": 2 * i + 1, "kind": "parameter", "name": ":parameter:x", "value": f"{i:064x}", "preview": "1"}
            )
            graph.add_edge_dict({"source": 2 * i + 1, "target": 2 * i, "param": "x", "arg_index": 0})
        graph.topological_order()
        graph.in_edges(0)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # The dict graph takes ~700 bytes per node here; the columns, order and rows about 150.
    assert grown / (2 * n) < 300, grown / (2 * n)
    assert graph.node(1)["value"] == f"{0:064x}"


@pytest.mark.parametrize("back_edges", [CompactGraph._BACK_EDGES, 0])
def test_is_acyclic_answers_as_networkx_does(monkeypatch, back_edges):
    """Cycles through edges against the columns' order, self-loops, and the topological order when there are many."""
    monkeypatch.setattr(CompactGraph, "_BACK_EDGES", back_edges)
    rng = random.Random(21)
    seen = {True: 0, False: 0}
    for _ in range(400):
        n = rng.randint(1, 30)
        graph = CompactGraph()
        for _ in range(n):
            graph.add_node(NodeKind.ELECTRON, "t", function="f" * 64)
        plain = networkx.MultiDiGraph()
        plain.add_nodes_from(range(n))
        for _ in range(rng.randint(0, 2 * n)):
            a, b = rng.randrange(n), rng.randrange(n)
            if rng.random() < 0.85 and a > b:
                a, b = b, a  # mostly forward, as the SDK adds them: a few edges go back
            graph.add_edge(Edge(a, b, "x", arg_index=0))
            plain.add_edge(a, b)
        expected = networkx.is_directed_acyclic_graph(plain)
        assert graph.is_acyclic() == expected, sorted(plain.edges())
        seen[expected] += 1
    assert min(seen.values()) > 50  # both answers were asked for often


def test_a_map_gathered_by_a_collection_is_acyclic_without_its_order():
    """The SDK's shape: a task's collection is added after the task, so one edge goes back, and no path closes it."""
    graph = CompactGraph()
    total = graph.add_node(NodeKind.ELECTRON, "total", function="f" * 64)
    outputs = [graph.add_node(NodeKind.ELECTRON, "task", function="f" * 64) for _ in range(50)]
    gather = graph.add_node(NodeKind.COLLECTION, ":list:", function="g" * 64)
    for index, node in enumerate(outputs):
        graph.add_edge(Edge(node, gather, f"[{index}]", arg_index=index))
    graph.add_edge(Edge(gather, total, "values", arg_index=0))
    assert graph.is_acyclic() and graph._order is None
    graph.add_edge(Edge(total, outputs[3], "x", arg_index=0))
    assert not graph.is_acyclic()
