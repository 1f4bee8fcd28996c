"""Fingerprints: the same from the dict graph and the compact one; a changed input changes everything downstream."""

from __future__ import annotations

import covalent as ct
from covalent.graph.compact import CompactGraph
from covalent.server.store.fingerprints import fingerprints


@ct.electron
def inc(x, *, step=1):
    return x + step


@ct.electron
def both(a, b):
    return a + b


@ct.lattice
def flow(x):
    a = inc(x, step=2)
    b = inc(a)
    return both(ct.wait(inc(x), [a]), b)


def test_compact_graph_gives_the_same_fingerprints():
    graph = flow.build_manifest(1).graph
    plain, compact = fingerprints(graph), fingerprints(CompactGraph.of(graph))
    assert len(plain) == len(compact) == len(graph)
    assert all(plain[n] == compact[n] and len(plain[n]) == 64 for n in graph.node_ids())


def test_a_changed_input_changes_its_downstream_only():
    one, two = flow.build_manifest(1).graph, flow.build_manifest(2).graph
    first, second = fingerprints(CompactGraph.of(one)), fingerprints(CompactGraph.of(two))
    changed = {n for n in one.node_ids() if first[n] != second[n]}
    same_values = {
        n for n in one.node_ids() if one.kind(n) == "parameter" and one.node(n)["value"] == two.node(n)["value"]
    }
    assert same_values and changed == set(one.node_ids()) - same_values


@ct.electron
def gather(*values):
    return len(values)


@ct.lattice
def wide(n):
    parts = [inc(i) for i in range(n)]
    first = gather(*parts)
    return ct.wait(gather(first), parts)


def test_a_node_of_many_inputs_and_waits_is_hashed_as_the_plain_form():
    """Past a thousand inputs the JSON is hashed as it is written: the same fingerprints all the same."""
    graph = wide.build_manifest(1200).graph
    plain, compact = fingerprints(graph), fingerprints(CompactGraph.of(graph))
    assert max(len(graph.in_edges(n)) for n in graph.node_ids()) > 1000
    assert all(plain[n] == compact[n] for n in graph.node_ids())
