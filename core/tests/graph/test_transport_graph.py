"""TransportGraph: dependency order, cycles, and the JSON form of edges."""

from __future__ import annotations

import pickle
import random

import cloudpickle
import networkx
import pytest

from covalent.graph.serialize import dumps
from covalent.graph.transport_graph import Edge, NodeKind, TransportGraph


def _random_dag(rng: random.Random) -> TransportGraph:
    graph = TransportGraph()
    n = rng.randint(1, 40)
    for _ in range(n):
        graph.add_node(NodeKind.ELECTRON, "task")
    rank = list(range(n))  # edges go from lower to higher rank: acyclic, ids shuffled
    rng.shuffle(rank)
    for _ in range(rng.randint(0, 3 * n)):
        a, b = sorted(rng.sample(range(n), 2)) if n > 1 else (0, 0)
        if a != b:
            graph.add_edge(Edge(rank[a], rank[b], "x"))
    return graph


def test_topological_order_is_networkx_lexicographical_order():
    rng = random.Random(7)
    for _ in range(300):
        graph = _random_dag(rng)
        assert graph.topological_order() == list(networkx.lexicographical_topological_sort(graph.nx))


def test_order_follows_changes_and_a_cycle_is_refused():
    graph = TransportGraph()
    for _ in range(3):
        graph.add_node(NodeKind.ELECTRON, "task")
    graph.add_edge(Edge(2, 0, "x"))
    assert graph.topological_order() == [1, 2, 0]
    graph.add_edge(Edge(0, 1, "y"))
    assert graph.topological_order() == [2, 0, 1]
    assert graph.is_acyclic()
    graph.add_edge(Edge(1, 2, "z"))
    assert not graph.is_acyclic()
    with pytest.raises(ValueError, match="cycle"):
        graph.topological_order()


def test_edge_json_leaves_out_what_is_unset():
    assert Edge(1, 2, "x").to_dict() == {"source": 1, "target": 2, "param": "x"}
    full = Edge(1, 2, "k", arg_index=0, key="k", wait=True)
    assert full.to_dict() == {"source": 1, "target": 2, "param": "k", "arg_index": 0, "key": "k", "wait": True}
    assert Edge.from_dict(full.to_dict()) == full


@pytest.mark.parametrize("value", [0, -3, 2**80, 1.5, float("inf"), 2j, "", "text", "é" * 9, b"\x00\xff", True, None])
def test_simple_values_pickle_to_the_bytes_cloudpickle_gives(value):
    data = dumps(value)
    assert data == cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    assert pickle.loads(data) == value or value != value
