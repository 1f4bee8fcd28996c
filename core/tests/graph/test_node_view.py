"""NodeView: what the dispatcher reads of a node, typed and read-only, one per shape of a CompactGraph."""

from __future__ import annotations

import pytest

from covalent.graph.compact import CompactGraph
from covalent.graph.node_view import NodeView
from covalent.graph.transport_graph import NodeKind, TransportGraph


def _graph() -> CompactGraph:
    graph = TransportGraph()
    graph.add_node(NodeKind.PARAMETER, ":parameter:x", value="ab" * 32, preview="1")
    for _ in range(3):
        graph.add_node(NodeKind.ELECTRON, "task", function="f" * 64, executor={"name": "dask"}, retries=2)
    files = [{"kind": "fetch", "from": "file:///a", "to": "b"}]
    graph.add_node(NodeKind.ELECTRON, "mover", function="e" * 64, executor="local", time_limit=1.5, files=files)
    return CompactGraph.of(graph)


def test_a_view_reads_as_the_nodes_json():
    graph = _graph()
    for node_id in graph.node_ids():
        node, view = graph.node(node_id), graph.view(node_id)
        assert (view.kind, view.name) == (node["kind"], node["name"])
        assert view.function == node.get("function", "")
        assert (view.executor, view.retries, view.time_limit) == (
            node.get("executor"),
            node.get("retries"),
            node.get("time_limit"),
        )
        assert list(view.files) == (node.get("files") or [])
    parameter = graph.view(0)
    assert (parameter.kind, parameter.function, parameter.files) == ("parameter", "", ())


def test_the_nodes_of_one_shape_share_one_view_made_once():
    graph = _graph()
    assert graph.view(1) is graph.view(2) is graph.view(3)
    assert graph.view(4) is not graph.view(1) and graph.view(4).files[0]["from"] == "file:///a"


def test_a_view_is_read_only_and_follows_a_changed_attribute():
    graph = _graph()
    view = graph.view(2)
    with pytest.raises(AttributeError):
        view.kind = "sublattice"  # type: ignore[misc]
    graph.set_node_attr(2, "retries", 5)
    assert graph.view(2).retries == 5 and graph.view(1).retries == 2 and view.retries == 2


def test_of_takes_a_shape_without_optional_attributes():
    assert NodeView.of({"kind": "collection", "name": ":list:"}) == NodeView("collection", ":list:")
